"""Every check of a job that costs nothing, in SPEC's order: what the server, the member
and each feature's port read for it (one transaction), its options from their sources,
the screens, then its terms (options, safety cap, a provider to serve, the price)."""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Sequence
from typing import Any

from bot.catalogue import MODELS, Model
from bot.catalogue.plan import Plan
from bot.catalogue.resolve import EMPTY, PREFERENCES, Layer, resolve
from bot.credits import ServerSettings
from bot.errors import UserError
from bot.guilds import Guilds
from bot.i18n import tr
from bot.jobs.ports import LogChannelRead, OptionSource, Screen, Slot
from bot.jobs.request import ImagineRequest, Prepared
from bot.jobs.terms import JobSettings, job_settings_rule, terms
from bot.providers.router import Router
from bot.safety import ChannelLookup, cap_in_channel, check_requested, not_age_restricted
from bot.settings import Settings
from bot.storage import Rule, Store, Transaction

# A job that starts within this many seconds of its checks, without waiting in the queue,
# keeps the safety cap they read instead of reading it again.
CAP_STILL_CURRENT = 1.0


class Preparation:
    """Turns a request into a `Prepared` job, or refuses it with a UserError."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        guilds: Guilds,
        router: Router,
        sources: Sequence[OptionSource[Any]],
        screens: Sequence[Screen[Any]],
        log_channel: LogChannelRead | None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._guilds = guilds
        self._router = router
        # Option sources in the order they are asked; screens in the order they judge.
        self._sources = tuple(sources)
        self._screens = tuple(screens)
        self._log_channel = log_channel
        # How a job's channel is read when its cap is needed (the Discord client's lookup,
        # set once the client exists); until then no channel is age-restricted.
        self.channels: ChannelLookup = not_age_restricted

    async def prepare(self, request: ImagineRequest) -> Prepared:
        """Moderation, the models allowed here, options, the safety cap, a provider to
        serve and the price."""
        # A frozen request was resolved when it was made: its sources are not asked again.
        sources = () if request.frozen else self._sources
        found, from_sources, from_screens = await self._read(request, sources)
        notes: tuple[str, ...] = ()
        if request.frozen:
            model = self._frozen_model(request)
        else:
            request, model, notes = await self._resolve(request, found, from_sources)
        for screen, read in zip(self._screens, from_screens, strict=True):
            await screen.screen(request, model.id, read)  # before any charge and provider
        cap_read_at = time.monotonic()
        agreed = await terms(request, model, server_cap=self._guilds.server_cap_of(found.config),
                             channel_caps=found.channel_caps, router=self._router,
                             settings=self._settings, channels=self.channels)
        seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
        return Prepared(request, model, agreed.options, agreed.cap, seed, agreed.cost, None,
                        agreed.plan, notes, log_channel=found.log_channel,
                        cap_read_at=cap_read_at, language=found.language)

    async def plan_now(self, prepared: Prepared, queued: bool) -> Plan:
        """The job's plan under the safety cap in force as it starts (`queued`: after
        waiting in the queue). Raises SafetyCapExceeded when the member's own level is
        now over the cap, NoProviderAvailable when no provider fits it."""
        # Looked up again now that the job starts: a cap changed while it waited applies.
        # A job that starts at once, moments after its checks, starts with the cap they
        # read: a change in between could as well have come just after the start.
        fresh = not queued and time.monotonic() - prepared.cap_read_at < CAP_STILL_CURRENT
        cap = prepared.cap if fresh else await self.cap_for(prepared.request)
        if cap == prepared.cap:
            return prepared.plan
        check_requested(prepared.options.get("safety_tolerance"), cap)
        chosen = {k: v for k, v in prepared.options.items() if k != "image"}
        return self._router.plan(prepared.model.id, chosen, cap,
                                 image=prepared.image is not None)

    async def cap_for(self, request: ImagineRequest) -> int:
        """The safety_tolerance cap in force in the request's channel now: the caps as
        stored now, and the channel (a thread's parent) as Discord has it now, never as
        it was when the request was made."""
        server_cap, channel_caps = await self._guilds.safety_caps(request.guild_id)
        return await cap_in_channel(self.channels, request.guild_id, request.channel_id,
                                    server_cap=server_cap, channel_caps=channel_caps,
                                    sfw_max=self._settings.SFW_SAFETY_MAX)

    async def _read(self, request: ImagineRequest, sources: Sequence[OptionSource[Any]]
                    ) -> tuple[JobSettings, list[Any], list[Any]]:
        """The job's own settings, and what each source and each screen reads for
        `request`, in one read (one hop to SQLite's thread, one PostgreSQL connection).
        Each rule reads what its own feature keeps, which needs no snapshot shared with
        the others: PostgreSQL runs the statements without a transaction around them."""
        own = job_settings_rule(request.guild_id, self._log_channel)
        by_source = [source.settings_rule(request) for source in sources]
        by_screen = [screen.settings_rule(request) for screen in self._screens]

        async def each(tx: Transaction, rules: list[Rule[Any] | None]) -> list[Any]:
            return [await rule(tx) if rule is not None else None for rule in rules]

        async def read(tx: Transaction) -> tuple[JobSettings, list[Any], list[Any]]:
            return await own(tx), await each(tx, by_source), await each(tx, by_screen)

        return await self._store.read(read, autocommit=True)

    def _frozen_model(self, request: ImagineRequest) -> Model:
        """The model a frozen request names (it was resolved when it was made)."""
        model = self._router.offered().get(request.model or "") or MODELS.get(request.model or "")
        if model is None:
            raise UserError(tr("There is no model `{model}` any more. See /models.",
                               model=request.model))
        return model

    async def _resolve(self, request: ImagineRequest, found: JobSettings, read: list[Any]
                       ) -> tuple[ImagineRequest, Model, tuple[str, ...]]:
        """The request with each option taken from its sources in SPEC's order (the
        command, the preset, the board's style, the member's preferences, the server's
        default model, the operator's: `bot.catalogue.resolve`), its model, and notes on
        what was left out. `read`: what each source's rule read, in the sources' order."""
        layers = dict.fromkeys(Slot, EMPTY)
        board = request.board
        for source, stored in zip(self._sources, read, strict=True):
            for contribution in await source.contribute(request, stored):
                layers[contribution.slot] = contribution.layer
                board = contribution.board or board
        config = ServerSettings.resolve(found.config, self._guilds.defaults)
        seed = {"seed": request.seed} if request.seed is not None else {}
        resolved = resolve(
            request.prompt,
            command=Layer(request.model, {**request.options, **seed}),
            preset=layers[Slot.PRESET],
            board=layers[Slot.BOARD],
            preferences=layers[Slot.PREFERENCES],
            server_model=config.default_model,
            operator_model=self._settings.DEFAULT_MODEL,
            offered=self._router.offered(),
        )
        request = dataclasses.replace(
            request, prompt=resolved.prompt, options=resolved.options, seed=resolved.seed,
            board=board, preset=layers[Slot.PRESET].name,
            preferences_applied=resolved.applied(PREFERENCES))
        return request, resolved.model, resolved.notes
