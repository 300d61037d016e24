import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DECISION_GRACE_MS, initialState, STAGING_RECOVERY_MS, transition, type CoordinatorState, type Event } from "../../../src/sync/twoPhaseCommit.js";

const start = (participants = ["s0", "s1"], deadlineMs = 10_000) =>
  transition(initialState(deadlineMs), { type: "commit_requested", participants, deadlineMs, nowMs: 0 });

function run(events: Event[], s: CoordinatorState = start().state): CoordinatorState {
  return events.reduce((state, e) => transition(state, e).state, s);
}

describe("two-phase commit state machine", () => {
  it("asks every participant to prepare and arms a deadline timer", () => {
    const { state, effects } = start();
    expect(state.phase).toBe("preparing");
    expect(effects).toEqual([
      { type: "send_prepare", participant: "s0" },
      { type: "send_prepare", participant: "s1" },
      { type: "set_timer", atMs: 10_000 + DECISION_GRACE_MS },
    ]);
  });

  it("commits only when every participant voted yes, then delivers the decision", () => {
    const afterOne = transition(start().state, { type: "voted_yes", participant: "s0", proposedTs: 100, nowMs: 5 });
    expect(afterOne.state.phase).toBe("preparing");
    expect(afterOne.effects).toEqual([]);
    const decided = transition(afterOne.state, { type: "voted_yes", participant: "s1", proposedTs: 250, nowMs: 7 });
    // One commit timestamp for every shard: the largest proposal.
    expect(decided.state).toMatchObject({ phase: "committed", decidedAtMs: 7, commitTs: 250 });
    expect(decided.effects.filter((e) => e.type === "send_commit").map((e) => "participant" in e && e.participant)).toEqual(["s0", "s1"]);
  });

  it("aborts on one no vote and tells every participant that may hold locks", () => {
    const s = run([{ type: "voted_yes", participant: "s0", proposedTs: 100, nowMs: 1 }]);
    const { state, effects } = transition(s, { type: "voted_no", participant: "s1", reason: "conflict", nowMs: 2, mayHavePrepared: false });
    expect(state).toMatchObject({ phase: "aborted", abortReason: "conflict" });
    // s1 said no itself and holds nothing; s0 voted yes and must drop its locks.
    expect(effects.filter((e) => e.type === "send_abort")).toEqual([{ type: "send_abort", participant: "s0" }]);
  });

  it("a decision never changes: abort requests and late votes after commit do nothing", () => {
    const committed = run([
      { type: "voted_yes", participant: "s0", proposedTs: 100, nowMs: 1 },
      { type: "voted_yes", participant: "s1", proposedTs: 100, nowMs: 2 },
      { type: "abort_requested", reason: "reader", nowMs: 3 },
      { type: "voted_no", participant: "s0", reason: "late", nowMs: 4, mayHavePrepared: false },
    ]);
    expect(committed.phase).toBe("committed");
    const aborted = run([{ type: "abort_requested", reason: "rollback", nowMs: 1 }, { type: "voted_yes", participant: "s0", proposedTs: 100, nowMs: 2 }, { type: "voted_yes", participant: "s1", proposedTs: 100, nowMs: 3 }]);
    expect(aborted.phase).toBe("aborted");
  });

  it("a rollback aborts an undecided transaction and is remembered; after a commit it changes nothing", () => {
    const idle = transition(initialState(10_000), { type: "rollback_requested", nowMs: 1 });
    expect(idle.state).toMatchObject({ phase: "aborted", rolledBack: true });
    expect(idle.effects).toEqual([{ type: "clear_timer" }]);
    const preparing = transition(start().state, { type: "rollback_requested", nowMs: 1 });
    expect(preparing.state).toMatchObject({ phase: "aborted", rolledBack: true });
    expect(preparing.effects.filter((e) => e.type === "send_abort")).toHaveLength(2);
    const committed = run([
      { type: "voted_yes", participant: "s0", proposedTs: 100, nowMs: 1 },
      { type: "voted_yes", participant: "s1", proposedTs: 100, nowMs: 2 },
      { type: "rollback_requested", nowMs: 3 },
    ]);
    expect(committed.phase).toBe("committed");
    expect(committed.rolledBack).toBeUndefined();
  });

  it("a retry's read-locked shards take part in its commit, and an abort reaches them", () => {
    const reading = transition(initialState(10_000), { type: "reading_registered", participants: ["s2"] });
    expect(reading.state).toMatchObject({ phase: "idle", participants: ["s2"] });
    const started = transition(reading.state, { type: "commit_requested", participants: ["s0"], deadlineMs: 10_000, nowMs: 0 });
    expect(started.effects.filter((e) => e.type === "send_prepare").map((e) => "participant" in e && e.participant)).toEqual(["s2", "s0"]);
    const aborted = transition(reading.state, { type: "abort_requested", reason: "wounded", nowMs: 1 });
    expect(aborted.effects).toContainEqual({ type: "send_abort", participant: "s2" });
  });

  it("presumes abort when the deadline plus grace passes undecided, not before", () => {
    const early = transition(start().state, { type: "timer", nowMs: 10_000 });
    expect(early.state.phase).toBe("preparing");
    const late = transition(start().state, { type: "timer", nowMs: 10_000 + DECISION_GRACE_MS });
    expect(late.state.phase).toBe("aborted");
  });

  it("re-sends the decision on each timer until every participant acknowledged, then stops", () => {
    let s = run([
      { type: "voted_yes", participant: "s0", proposedTs: 100, nowMs: 1 },
      { type: "voted_yes", participant: "s1", proposedTs: 100, nowMs: 2 },
      { type: "acked", participant: "s0" },
    ]);
    const retry = transition(s, { type: "timer", nowMs: 100 });
    expect(retry.effects.filter((e) => e.type === "send_commit")).toEqual([{ type: "send_commit", participant: "s1" }]);
    const done = transition(s, { type: "acked", participant: "s1" });
    expect(done.effects).toEqual([{ type: "clear_timer" }]);
    s = done.state;
    expect(transition(s, { type: "timer", nowMs: 200 }).effects).toEqual([{ type: "clear_timer" }]);
  });

  it("an unanswered prepare counts as no, but its participant still gets the abort", () => {
    const { effects } = transition(start().state, { type: "voted_no", participant: "s1", reason: "unavailable", nowMs: 1, mayHavePrepared: true });
    expect(effects.filter((e) => e.type === "send_abort")).toHaveLength(2);
  });

  it("refuses a commit past its deadline", () => {
    const { state } = transition(initialState(10), { type: "commit_requested", participants: ["s0"], deadlineMs: 10, nowMs: 11 });
    expect(state.phase).toBe("aborted");
  });

  it("keeps its invariants under any order of events (property)", () => {
    const participants = ["s0", "s1", "s2"];
    const participant = fc.constantFrom(...participants);
    const event: fc.Arbitrary<Event> = fc.oneof(
      participant.map((p): Event => ({ type: "voted_yes", participant: p, proposedTs: 100, nowMs: 1 })),
      fc.tuple(participant, fc.boolean()).map(([p, lost]): Event => ({ type: "voted_no", participant: p, reason: "no", nowMs: 1, mayHavePrepared: lost })),
      participant.map((p): Event => ({ type: "acked", participant: p })),
      fc.constant<Event>({ type: "abort_requested", reason: "push", nowMs: 1 }),
      fc.constant<Event>({ type: "rollback_requested", nowMs: 1 }),
      participant.map((p): Event => ({ type: "reading_registered", participants: [p] })),
      fc.integer({ min: 0, max: 20_000 }).map((t): Event => ({ type: "timer", nowMs: t })),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        let state = start(participants).state;
        const yesVotes = new Set<string>();
        let sawNo = false;
        for (const e of events) {
          if (e.type === "voted_yes" && state.phase === "preparing") yesVotes.add(e.participant);
          if (e.type === "voted_no" && state.phase === "preparing") sawNo = true;
          const before = state.phase;
          state = transition(state, e).state; // transition asserts its own invariants
          if (before === "committed") expect(state.phase).toBe("committed");
          if (state.phase === "committed") {
            expect(participants.every((p) => yesVotes.has(p))).toBe(true);
            expect(sawNo).toBe(false);
          }
        }
      }),
    );
  });

  describe("parallel commit: a staging transaction", () => {
    const stage = (participants = ["s0", "s1"], deadlineMs = 10_000) =>
      transition(initialState(deadlineMs), { type: "stage_requested", participants, deadlineMs, nowMs: 0 });

    it("sends no prepare (the Worker does) and arms its own recovery", () => {
      const { state, effects } = stage();
      expect(state.phase).toBe("staging");
      expect(effects).toEqual([{ type: "set_timer", atMs: STAGING_RECOVERY_MS }]);
    });

    it("is never aborted by presumption: an abort, a rollback, a no vote or its timer ask for recovery and change nothing", () => {
      const s = stage().state;
      for (const e of [
        { type: "abort_requested", reason: "a reader waited", nowMs: 1 },
        { type: "rollback_requested", nowMs: 1 },
        { type: "voted_no", participant: "s1", reason: "locks", nowMs: 1, mayHavePrepared: false },
        { type: "timer", nowMs: 99_999 },
      ] satisfies Event[]) {
        const next = transition(s, e);
        expect(next.state).toEqual(s);
        expect(next.effects).toContainEqual({ type: "recover" });
      }
    });

    it("commits when every participant holds a prepare, at the largest proposal; aborts on a durable refusal", () => {
      const one = transition(stage().state, { type: "voted_yes", participant: "s1", proposedTs: 300, nowMs: 1 }).state;
      expect(transition(one, { type: "voted_yes", participant: "s0", proposedTs: 200, nowMs: 2 }).state).toMatchObject({ phase: "committed", commitTs: 300 });
      const refused = transition(one, { type: "refused", participant: "s0", reason: "not prepared", nowMs: 2 });
      expect(refused.state).toMatchObject({ phase: "aborted", abortReason: "not prepared" });
      // s1 prepared and must drop its locks; s0 refused and holds nothing.
      expect(refused.effects.filter((e) => e.type === "send_abort")).toEqual([{ type: "send_abort", participant: "s1" }]);
      expect(() => transition(one, { type: "refused", participant: "s1", reason: "x", nowMs: 2 })).toThrow(/invariant broken/);
    });

    it("property: it ends committed exactly when every participant voted yes before any refusal, and never changes its decision", () => {
      const participants = ["s0", "s1", "s2"];
      const participant = fc.constantFrom(...participants);
      const event: fc.Arbitrary<Event> = fc.oneof(
        participant.map((p): Event => ({ type: "voted_yes", participant: p, proposedTs: 100, nowMs: 1 })),
        participant.map((p): Event => ({ type: "refused", participant: p, reason: "refused", nowMs: 1 })),
        fc.tuple(participant, fc.boolean()).map(([p, lost]): Event => ({ type: "voted_no", participant: p, reason: "no", nowMs: 1, mayHavePrepared: lost })),
        participant.map((p): Event => ({ type: "acked", participant: p })),
        fc.constant<Event>({ type: "abort_requested", reason: "push", nowMs: 1 }),
        fc.constant<Event>({ type: "rollback_requested", nowMs: 1 }),
        fc.integer({ min: 0, max: 40_000 }).map((t): Event => ({ type: "timer", nowMs: t })),
      );
      fc.assert(
        fc.property(fc.array(event, { maxLength: 30 }), (events) => {
          let state = stage(participants).state;
          // What the shards durably hold: a participant that refused never prepares, one that prepared never refuses.
          const held = new Map<string, "yes" | "refused">();
          for (const e of events) {
            if (e.type === "voted_yes" || e.type === "refused") {
              const now = e.type === "voted_yes" ? "yes" : "refused";
              if ((held.get(e.participant) ?? now) !== now) continue;
              held.set(e.participant, now);
            }
            const before = state.phase;
            state = transition(state, e).state;
            if (before === "committed" || before === "aborted") expect(state.phase).toBe(before);
            if (state.phase === "committed") expect(participants.every((p) => held.get(p) === "yes")).toBe(true);
            if (state.phase === "aborted") expect(participants.some((p) => held.get(p) === "refused")).toBe(true);
            if (before === "staging" && participants.every((p) => held.get(p) === "yes")) expect(state.phase).toBe("committed");
          }
        }),
      );
    });
  });
});
