"""How amounts and models are written in what members read, in one place.

Every member-facing sentence that names an amount of credits or a model goes through
these, so "1 credit" and "FLUX1.1 [pro]" read the same in every command.
"""

from __future__ import annotations

from bot.catalogue import MODELS


def credits(amount: int) -> str:
    """`1 credit`, `2 credits`, `1,500 credits` (and `-1 credit` for a removal)."""
    unit = "credit" if abs(amount) == 1 else "credits"
    return f"{amount:,} {unit}"


def credits_back(amount: int) -> str:
    """`1 credit is back`, `4 credits are back`: a refund, said to the member."""
    return f"{credits(amount)} {'is' if amount == 1 else 'are'} back"


def model_label(model_id: str) -> str:
    """The name members know a model by (`FLUX1.1 [pro]`); the id itself if unknown."""
    model = MODELS.get(model_id)
    return model.label if model is not None else model_id


def model_with_value(model_id: str) -> str:
    """The label with the value to type in `/imagine model:` (`FLUX1.1 [pro] (flux-1.1-pro)`)."""
    model = MODELS.get(model_id)
    return model.named if model is not None else model_id


def cost(price: int | dict[str, int]) -> str:
    """A model's price: `4 credits`, or per output size for models priced by megapixels."""
    if isinstance(price, int):
        return credits(price)
    return ", ".join(f"{credits(n)} at {mp} MP" for mp, n in price.items())


def listing(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`: for lists inside a sentence."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
