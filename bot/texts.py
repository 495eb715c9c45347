"""How amounts and models are written in what members read, in one place.

Every member-facing sentence that names an amount of credits or a model goes through
these, so "1 credit" and "FLUX1.1 [pro]" read the same in every command.
"""

from __future__ import annotations

from bot.catalogue import MODELS
from bot.i18n import Text, join, tr, trn


def credits(amount: int) -> Text:
    """`1 credit`, `2 credits`, `1,500 credits` (and `-1 credit` for a removal), in the
    language it is shown in (its plural rules and number format)."""
    return trn("{n} credit", "{n} credits", amount)


def credits_back(amount: int) -> Text:
    """`1 credit is back`, `4 credits are back`: a refund, said to the member."""
    return trn("{n} credit is back", "{n} credits are back", amount)


def your_credits_back(amount: int) -> Text:
    """`Your 1 credit is back.`: a refund, as its own sentence."""
    return trn("Your {n} credit is back.", "Your {n} credits are back.", amount)


def model_label(model_id: str) -> str:
    """The name members know a model by (`FLUX1.1 [pro]`); the id itself if unknown."""
    model = MODELS.get(model_id)
    return model.label if model is not None else model_id


def model_with_value(model_id: str) -> str:
    """The label with the value to type in `/imagine model:` (`FLUX1.1 [pro] (flux-1.1-pro)`)."""
    model = MODELS.get(model_id)
    return model.named if model is not None else model_id


def cost(price: int | dict[str, int]) -> Text:
    """A model's price: `4 credits`, or per output size for models priced by megapixels."""
    if isinstance(price, int):
        return credits(price)
    return join([tr("{credits} at {mp} MP", credits=credits(n), mp=mp)
                 for mp, n in price.items()], ", ")


def listing(items: list[str] | list[Text]) -> Text:
    """`a`, `a and b`, `a, b and c`: for lists inside a sentence."""
    if len(items) <= 1:
        return join(items)
    return tr("{first} and {last}", first=join(items[:-1], ", "), last=items[-1])
