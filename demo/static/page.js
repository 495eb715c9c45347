"use strict";
// Every text from the bot or the member goes on screen through textContent, never as HTML.
const $ = (id) => document.getElementById(id);
const SHOWN = ["model", "aspect_ratio", "seed", "steps", "guidance", "count"];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A backslash before a punctuation mark shows the mark itself, as in Discord: the bot
// escapes the markup of text someone typed, so that it reads as typed.
function unescaped(text) {
  return text.replace(/\\([^0-9A-Za-z\s])/g, "$1");
}

async function call(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const data = await response.json().catch(() => ({error: "the demo did not answer"}));
  $("error").textContent = response.ok ? "" : (data.error || "that did not work");
  return data;
}

async function buildForm() {
  const data = await call("/api/command");
  for (const option of data.options || []) {
    if (option.name === "prompt" || !SHOWN.includes(option.name)) continue;
    const label = el("label", "", option.name);
    let input;
    if (option.choices.length) {
      input = el("select");
      input.append(el("option", "", ""));
      for (const choice of option.choices) {
        const item = el("option", "", choice.name);
        item.value = String(choice.value);
        input.append(item);
      }
    } else {
      input = el("input");
      input.type = "text";
      input.size = 8;
    }
    input.name = option.name;
    input.title = option.description;
    label.append(input);
    $("options").append(label);
  }
}

function drawMessage(message) {
  const box = el("div", "message" + (message.private ? " private" : ""));
  box.dataset.id = message.id;
  const head = el("div", "author", message.author);
  if (message.private) head.append(el("span", "tag", "Only you can see this"));
  box.append(head);
  if (message.loading) box.append(el("div", "content", message.author + " is thinking…"));
  if (message.content) box.append(el("div", "content", unescaped(message.content)));
  for (const embed of message.embeds) {
    const card = el("div", "embed");
    if (embed.title) card.append(el("div", "title", embed.title));
    if (embed.description) card.append(el("div", "content", unescaped(embed.description)));
    const fields = el("div", "fields");
    for (const field of embed.fields) {
      const item = el("div", "field");
      item.append(el("div", "name", field.name), el("div", "content", unescaped(field.value)));
      fields.append(item);
    }
    card.append(fields);
    if (embed.image) {
      const image = el("img");
      image.src = embed.image;
      image.alt = "result";
      image.addEventListener("load", scrollDown);
      card.append(image);
    }
    if (embed.footer) card.append(el("div", "footer", embed.footer));
    box.append(card);
  }
  for (const url of message.images) {
    const image = el("img");
    image.src = url;
    image.alt = "attachment";
    image.addEventListener("load", scrollDown);
    box.append(image);
  }
  const buttons = el("div", "buttons");
  for (const button of message.buttons) {
    const node = el("button", "", button.label);
    node.type = "button";
    node.disabled = button.disabled;
    node.addEventListener("click", () => call("/api/click",
      {message: message.id, custom_id: button.custom_id}).then(refresh));
    buttons.append(node);
  }
  box.append(buttons);
  return box;
}

function scrollDown() {
  window.scrollTo(0, document.body.scrollHeight);
}

let last = "";
async function refresh() {
  const response = await fetch("/api/messages");
  if (!response.ok) return;
  const text = await response.text();
  if (text === last) return;  // redraw only on change, so clicks and scrolling hold
  last = text;
  const list = $("messages");
  list.replaceChildren(...JSON.parse(text).messages.map(drawMessage));
  scrollDown();
}

$("imagine").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = Object.fromEntries(new FormData(event.target).entries());
  const answer = await call("/api/imagine", body);
  if (answer.ok) $("prompt").value = "";
  refresh();
});

buildForm();
refresh();
setInterval(refresh, 700);
