"""The client engine's decisions, without sockets, event loop or store.

The model server below answers pulls from a list of records; the driver loop mirrors
core/inbound.py's (route each record, store what is queued before a pull, pull the gap
with the pages core/engine/pages.py asks for). Whatever the order, gaps and repeats of
the pushes, the store ends gapless up to the highest seq pushed, each seq stored once.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from imkit_tui.core.backoff import Backoff
from imkit_tui.core.connection_state import ConnectionState
from imkit_tui.core.engine import (
    Acked,
    Answer,
    ClientEngine,
    FrameRoute,
    OutboxMachine,
    Phase,
    Pushed,
    Pushes,
    PushRouter,
    Ready,
    Refused,
    Requests,
    Retry,
    Route,
    SeqTracker,
    Stage,
    SyncAll,
    SyncRound,
    WorkQueue,
    answer_login,
    gap_after_ack,
)
from imkit_tui.core.engine.pages import first_page, first_spec, forward_limit, sort_pages
from imkit_tui.core.models import Direction, Message, SendStatus
from imkit_tui.protocol import (
    SUPPORTED_VERSIONS,
    ConversationState,
    ConversationUpdate,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    Hello,
    MessageRecord,
    PullPage,
    PullReply,
    Push,
    SendAck,
    SyncReply,
    SyncRequest,
    Welcome,
    decode_client_frame,
    encode,
)

ALICE = ConvRef(type=1, target="alice")
GROUP = ConvRef(type=3, target="g1")


def record(conv: ConvRef, seq: int) -> MessageRecord:
    """Message `seq` of `conv` as the server holds it."""
    return MessageRecord(
        uid=f"{conv.key}:{seq}",
        conv=conv,
        seq=seq,
        sender="peer",
        object_name="RC:TxtMsg",
        content={"content": str(seq)},
        cmid=f"c{seq}",
        sent_at=seq,
    )


class Model:
    """A store and a server, as plain data, driven the way core/inbound.py drives them."""

    def __init__(self, held: dict[ConvRef, int]) -> None:
        self.trackers = {conv: SeqTracker() for conv in held}
        self.stored: dict[ConvRef, Counter[int]] = {conv: Counter() for conv in held}
        self.pulls = 0
        for conv, top in held.items():
            if top:
                self.store(conv, [record(conv, s) for s in range(1, top + 1)])

    def store(self, conv: ConvRef, records: list[MessageRecord]) -> None:
        self.stored[conv].update(r.seq for r in records if not self.trackers[conv].has(r.seq))
        self.trackers[conv].add(r.seq for r in records)

    def serve(self, conv: ConvRef, after: int, before: int, limit: int) -> PullReply:
        self.pulls += 1
        if before:
            seqs = list(range(max(1, before - limit), before))
        else:
            seqs = list(range(after + 1, after + 1 + limit))
        return PullReply(
            conv=conv, messages=[record(conv, s) for s in seqs], has_more=True, floor_seq=1
        )

    def catch_up(self, conv: ConvRef, target: int) -> None:
        tracker = self.trackers[conv]
        if tracker.synced >= target:
            return
        if tracker.synced == 0:
            spec = first_spec(conv, tracker, target)
            reply = self.serve(conv, 0, spec.before_seq, spec.limit)
            pulled = first_page(conv, tracker, target, reply)
            self.store(conv, list(pulled.records))
        while tracker.synced < target:
            limit = forward_limit(tracker.synced, target)
            self.store(conv, self.serve(conv, tracker.synced, 0, limit).messages)

    def pushes(self, records: list[MessageRecord]) -> None:
        router = PushRouter(self.trackers)

        def flush() -> None:
            for conv, batch in router.take().items():
                self.store(conv, batch)

        for rec in records:
            route = router.route(rec)
            if route is Route.PULL_FIRST:
                flush()
                self.catch_up(rec.conv, rec.seq - 1)
                assert router.after_pull(rec) in (Route.QUEUE, Route.SKIP)
        flush()


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_pushes_in_any_order_with_gaps_end_in_a_gapless_store(data: st.DataObject) -> None:
    held: dict[ConvRef, int] = {}
    pushed: list[MessageRecord] = []
    for conv in (ALICE, GROUP):
        top = data.draw(st.integers(1, 120), label=f"top {conv.key}")
        held[conv] = data.draw(st.integers(0, top), label=f"held {conv.key}")
        seqs = data.draw(st.sets(st.integers(1, top), max_size=40), label=f"pushed {conv.key}")
        pushed += [record(conv, s) for s in {*seqs, top}]
    repeats = data.draw(st.lists(st.sampled_from(pushed), max_size=10), label="repeats")
    order = data.draw(st.permutations(pushed + repeats), label="order")
    model = Model(held)
    model.pushes(order)
    for conv in (ALICE, GROUP):
        top = max(r.seq for r in pushed if r.conv == conv)
        tracker = model.trackers[conv]
        assert tracker.synced == top and tracker.gap() is None
        stored = model.stored[conv]
        assert {s for s in stored if s >= tracker.floor} == set(range(tracker.floor, top + 1))
        # Below a first page's floor (a conversation new here) only what was pushed.
        below = {s for s in stored if s < tracker.floor}
        assert below <= {r.seq for r in pushed if r.conv == conv}
        assert max(stored.values()) == 1, "a seq was stored twice"


def test_a_burst_that_follows_what_is_held_is_one_batch_and_asks_no_pull() -> None:
    trackers = {ALICE: SeqTracker(5, 1)}
    router = PushRouter(trackers)
    routes = [router.route(record(ALICE, s)) for s in (6, 7, 7, 5, 8)]
    assert routes == [Route.QUEUE, Route.QUEUE, Route.SKIP, Route.SKIP, Route.QUEUE]
    assert [r.seq for r in router.take()[ALICE]] == [6, 7, 8]
    assert router.take() == {}
    assert router.route(record(ALICE, 0)) is Route.STATUS
    assert router.route(record(ALICE, 20)) is Route.PULL_FIRST


def test_a_push_below_a_first_page_is_held_once_even_when_repeated() -> None:
    """A conversation new here starts at its latest page (floor 2); an older push (seq 1)
    is stored, and its repeat after the batch was taken is skipped."""
    tracker = SeqTracker()
    tracker.restart_at(2)
    tracker.add(range(2, 52))
    router = PushRouter({ALICE: tracker})
    assert router.route(record(ALICE, 1)) is Route.QUEUE
    tracker.add(r.seq for r in router.take()[ALICE])
    assert router.route(record(ALICE, 1)) is Route.SKIP


def test_an_ack_asks_for_a_pull_only_when_it_leaves_a_gap() -> None:
    tracker = SeqTracker(5, 1)
    assert gap_after_ack(tracker, 6) is None and tracker.synced == 6
    assert gap_after_ack(tracker, 6) is None
    assert gap_after_ack(tracker, 9) == 9 and tracker.gap() == (7, 8)


def state(conv: ConvRef, max_seq: int, **more: object) -> ConversationState:
    """A sync reply's state of `conv`."""
    return ConversationState(conv=conv, max_seq=max_seq, last_at=0, **more)  # type: ignore[arg-type]


def test_the_sync_cursor_advances_only_when_a_page_is_committed() -> None:
    sync = SyncRound(cursor=7)
    assert sync.request().since == 7
    trackers = {ALICE: SeqTracker(10, 1), GROUP: SeqTracker(3, 1)}
    reply = SyncReply(
        cursor=20,
        conversations=[state(ALICE, 10), state(GROUP, 9, cleared_seq=2)],
        has_more=True,
    )
    page = sync.page(reply, trackers)
    assert [w[0] for w in page.wanted] == [GROUP]
    assert page.wanted[0][2] == 9
    assert [s.conv for s in page.plain] == [ALICE]
    assert [s.conv for s in page.with_history] == [GROUP]
    # Not committed yet: a process killed now asks again from where it was.
    assert sync.cursor == 7 and sync.request().since == 7 and not sync.done
    assert sync.committed() == 20
    assert sync.request().since == 20 and not sync.done
    sync.page(SyncReply(cursor=25, conversations=[]), trackers)
    assert sync.committed() == 25 and sync.done and sync.changed == 2


def test_pushes_wait_behind_the_sync_and_come_out_as_one_burst() -> None:
    work = WorkQueue()
    update = ConversationUpdate(state=state(ALICE, 1))
    work.put(SyncAll())
    work.put(Push(message=record(ALICE, 1)))
    work.put(Push(message=record(ALICE, 2)))
    work.put(update)
    work.put(Push(message=record(ALICE, 3)))
    assert isinstance(work.take(), SyncAll)
    burst = work.take()
    assert isinstance(burst, Pushes) and [r.seq for r in burst.records] == [1, 2]
    assert work.take() is update
    last = work.take()
    assert isinstance(last, Pushes) and [r.seq for r in last.records] == [3]
    assert work.take() is None and len(work) == 0
    work.put(Acked(ALICE, 4))
    assert work.take() == Acked(ALICE, 4)


def outgoing(message_id: int, sent_at: int = 1_000, **content: object) -> Message:
    """An own message as the outbox holds it."""
    return Message(
        id=message_id,
        conv=ALICE,
        seq=None,
        uid=None,
        cmid=f"cmid-{message_id}",
        sender="me",
        object_name="RC:TxtMsg",
        content={"content": "hi", **content},
        sent_at=sent_at,
        direction=Direction.SENT,
        status=SendStatus.SENDING,
    )


def ack(message: Message, seq: int) -> SendAck:
    """The server's ack of `message`."""
    return SendAck(cmid=message.cmid, uid=f"u{seq}", seq=seq, sent_at=2_000, conv=message.conv)


def test_the_outbox_sends_in_order_and_retries_the_same_frame_first() -> None:
    machine = OutboxMachine()
    one, two = outgoing(1), outgoing(2)
    machine.queued(one)
    machine.queued(two)
    assert machine.phase(1) is Phase.PENDING
    machine.look = False
    assert machine.next(None, 1_500) is one and machine.phase(1) is Phase.SENDING
    first = machine.frame(one)
    assert machine.outcome(one, None) is Phase.RETRY
    assert machine.attempt == 1 and machine.look
    machine.look = False
    again = machine.next(None, 1_600)
    assert again is one and machine.frame(one) == first  # same client id: no duplicate
    assert machine.outcome(one, ErrorCode.RATE_LIMITED) is Phase.RETRY and machine.attempt == 2
    assert machine.next(None, 1_700) is one
    assert machine.outcome(one, ack(one, 5)) is Phase.ACKED
    assert machine.attempt == 0 and machine.phase(1) is None
    assert machine.next(None, 1_800) is two
    assert machine.outcome(two, ErrorCode.NOT_IN_GROUP) is Phase.FAILED
    assert machine.next(None, 1_900) is None


def test_the_outbox_leaves_an_old_claim_and_a_file_to_the_store() -> None:
    machine = OutboxMachine()
    machine.look = False
    machine.queued(outgoing(1, sent_at=0))
    assert machine.next(None, 10**9) is None and machine.look  # the store renews the claim
    machine.look = False
    machine.queued(outgoing(2, localPath="/tmp/x.png"))
    assert machine.look and machine.next(None, 1_000) is None
    claimed = outgoing(2)
    assert machine.next(claimed, 1_000) is claimed and machine.look


def test_requests_are_matched_by_id_and_pushes_go_their_own_way() -> None:
    requests: Requests[str] = Requests()
    first, second = SyncRequest(since=0), SyncRequest(since=1)
    assert requests.open(first, "a") == 1 and requests.open(second, "b") == 2
    assert requests.route(SyncReply(re=2, cursor=1, conversations=[])) == (FrameRoute.ANSWER, "b")
    assert requests.route(Push(message=record(ALICE, 1))) == (FrameRoute.PUSH, None)
    requests.close(2)
    assert requests.route(SyncReply(re=2, cursor=1, conversations=[]))[0] is FrameRoute.DROPPED
    terminal = ErrorFrame(code=ErrorCode.TOKEN_EXPIRED, message="gone")
    assert requests.route(terminal)[0] is FrameRoute.TERMINAL
    assert requests.lost() == ["a"] and requests.waiter(1) is None


def test_a_pull_many_answer_is_sorted_into_store_now_go_on_and_refused() -> None:
    new, behind, lost, refused = (ConvRef(type=1, target=name) for name in "abcd")
    held = {new: SeqTracker(), behind: SeqTracker(10, 1), lost: SeqTracker(3, 1)}
    held[refused] = SeqTracker(1, 1)
    chunk = [(new, held[new], 80), (behind, held[behind], 900), (lost, held[lost], 50)]
    chunk.append((refused, held[refused], 5))
    pages = [
        PullPage(conv=new, messages=[record(new, s) for s in range(31, 81)], floor_seq=1),
        PullPage(conv=behind, messages=[record(behind, s) for s in range(11, 511)], has_more=True),
        PullPage(conv=lost, messages=[record(lost, 40)], floor_seq=40),
        PullPage(conv=refused, code=ErrorCode.NOT_IN_GROUP),
    ]
    assert sort_pages(chunk, pages[:3]) is None  # not page for page: one at a time
    plan = sort_pages(chunk, pages)
    assert plan is not None
    assert [(p.conv, len(p.records)) for p in plan.pulled] == [(new, 50), (behind, 500)]
    assert held[new].floor == 31 and held[new].synced == 30  # starts at its first page
    # The new one may need more (returns at once), the one behind does; the lost range
    # comes from cloud history, after them.
    assert [w[0] for w in plan.then] == [new, behind, lost]
    assert plan.refused is pages[3]


def welcome(version: int = SUPPORTED_VERSIONS[-1]) -> Welcome:
    """The server's yes to a login, in `version`."""
    return Welcome(
        version=version,
        user_id="bob",
        server_time=1,
        heartbeat_seconds=20,
        max_frame_bytes=1 << 20,
        max_content_bytes=1 << 17,
    )


def test_the_first_frame_says_ready_refused_for_good_or_retry() -> None:
    yes = welcome()
    assert answer_login(encode(yes)) == Ready(yes)
    for code in (ErrorCode.TOKEN_INCORRECT, ErrorCode.PROTOCOL_VERSION, ErrorCode.USER_BLOCKED):
        assert answer_login(encode(ErrorFrame(code=code, message="no"))) == Refused(code, "no")
    # A passing failure (the server is busy), a frame that is not a Welcome, an
    # unreadable one: the connection tries again after its backoff.
    busy = answer_login(encode(ErrorFrame(code=ErrorCode.INTERNAL_ERROR, message="busy")))
    assert isinstance(busy, Retry) and "busy" in busy.reason
    assert isinstance(answer_login(encode(SyncReply(cursor=1, conversations=[]))), Retry)
    assert isinstance(answer_login(b"{not json"), Retry)
    # A server answering in a version this client never offered cannot be spoken to.
    assert answer_login(encode(welcome(max(SUPPORTED_VERSIONS) + 1))) == Refused(
        ErrorCode.PROTOCOL_VERSION, f"server chose version {max(SUPPORTED_VERSIONS) + 1}"
    )


def test_the_engine_logs_in_then_routes_answers_pushes_and_a_terminal_error() -> None:
    engine: ClientEngine[str] = ClientEngine("tok", "app-1")
    engine.connect()
    (sent,) = engine.frames_to_send()
    first = decode_client_frame(sent)
    assert isinstance(first, Hello) and (first.token, first.device) == ("tok", "app-1")
    assert first.versions == list(SUPPORTED_VERSIONS) and engine.frames_to_send() == []
    assert engine.stage is Stage.LOGIN
    engine.receive(encode(welcome()))
    assert list(engine.events()) == [Ready(welcome())] and engine.stage is Stage.READY

    request = SyncRequest(since=0)
    assert decode_client_frame(engine.request(request, "sync")) == request and request.id == 1
    push = Push(message=record(ALICE, 1))
    engine.receive(encode(push))
    engine.receive(encode(SyncReply(re=1, cursor=1, conversations=[])))
    engine.receive(b'{"type":"synced","re":1,"cursor":"bad"}')
    events = list(engine.events())
    assert events[0] == Pushed(push)
    assert events[1] == Answer("sync", SyncReply(re=1, cursor=1, conversations=[]))
    # The answer came but cannot be read: the waiter gets an error now, not a timeout.
    assert isinstance(events[2], Answer) and isinstance(events[2].frame, ErrorFrame)
    assert list(engine.events()) == []

    engine.close_request(1)
    engine.receive(encode(SyncReply(re=1, cursor=1, conversations=[])))  # late: dropped
    engine.receive(encode(ErrorFrame(code=ErrorCode.KICKED_BY_OTHER_DEVICE, message="kicked")))
    assert list(engine.events()) == [Refused(ErrorCode.KICKED_BY_OTHER_DEVICE, "kicked")]
    assert engine.lost() == [] and engine.stage is Stage.REFUSED


def test_a_lost_connection_hands_back_its_waiters_and_starts_over_with_a_hello() -> None:
    engine: ClientEngine[str] = ClientEngine("tok", "app-1")
    engine.connect()
    engine.frames_to_send()
    engine.receive(encode(ErrorFrame(code=ErrorCode.INTERNAL_ERROR, message="busy")))
    assert isinstance(next(engine.events()), Retry) and engine.stage is Stage.CLOSED
    engine.connect()
    engine.frames_to_send()
    engine.receive(encode(welcome()))
    list(engine.events())
    engine.request(SyncRequest(since=0), "waiting")
    assert engine.lost() == ["waiting"] and engine.stage is Stage.CLOSED
    engine.connect()
    assert len(engine.frames_to_send()) == 1 and engine.stage is Stage.LOGIN


def test_between_attempts_the_backoff_grows_until_a_login_resets_it() -> None:
    engine: ClientEngine[str] = ClientEngine("tok", "app-1", Backoff(base=1, cap=4, jitter=0))
    assert engine.attempt_state() is ConnectionState.CONNECTING
    assert engine.retry("cannot reach ws://x: connection refused") == (
        1.0,
        "cannot reach ws://x: connection refused, retrying in 1.0 s",
    )
    assert engine.attempt_state() is ConnectionState.RECONNECTING
    assert [engine.retry(None) for _ in range(3)] == [
        (2.0, "retrying in 2.0 s"),
        (4.0, "retrying in 4.0 s"),
        (4.0, "retrying in 4.0 s"),
    ]
    engine.connect()
    engine.receive(encode(welcome()))
    list(engine.events())
    engine.lost()
    assert engine.retry(None) == (1.0, "retrying in 1.0 s")  # the login reset the count
    assert engine.attempt_state() is ConnectionState.RECONNECTING
