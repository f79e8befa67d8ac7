import KRPCPolicy
import Testing

@Suite("Hedging decisions")
struct HedgingPolicyTests {
    let policy = HedgingPolicy(delay: .milliseconds(100), maxExtraAttempts: 2)
    let eligible = candidates(nodeA, nodeB, nodeC)

    func decide(
        now: ContinuousClock.Instant,
        extra: Int = 0,
        deadline: ContinuousClock.Instant = t0 + .seconds(5),
        tried: Set<NodeAddress> = [nodeA],
        budget: inout RetryBudget
    ) -> HedgeDecision {
        self.policy.decide(
            now: now,
            startedAt: t0,
            extraAttemptsStarted: extra,
            deadline: deadline,
            candidates: self.eligible,
            tried: tried,
            budget: &budget
        )
    }

    @Test("backups are due one delay apart, up to the maximum")
    func schedule() {
        #expect(self.policy.nextHedgeAt(startedAt: t0, extraAttemptsStarted: 0) == t0 + .milliseconds(100))
        #expect(self.policy.nextHedgeAt(startedAt: t0, extraAttemptsStarted: 1) == t0 + .milliseconds(200))
        #expect(self.policy.nextHedgeAt(startedAt: t0, extraAttemptsStarted: 2) == nil)
    }

    @Test("before the delay: wait; at the delay: hedge to a node not yet tried")
    func waitThenHedge() {
        var budget = RetryBudget()
        #expect(self.decide(now: t0 + .milliseconds(50), budget: &budget) == .wait(until: t0 + .milliseconds(100)))
        #expect(budget.counted(now: t0).retries == 0)
        #expect(self.decide(now: t0 + .milliseconds(100), budget: &budget) == .hedge(on: candidates(nodeB, nodeC)))
        #expect(budget.counted(now: t0 + .milliseconds(100)).retries == 1)
        let second = self.decide(now: t0 + .milliseconds(200), extra: 1, tried: [nodeA, nodeB], budget: &budget)
        #expect(second == .hedge(on: candidates(nodeC)))
    }

    @Test("reasons to stop hedging")
    func stops() {
        var budget = RetryBudget()
        #expect(self.decide(now: t0 + .seconds(1), extra: 2, budget: &budget) == .stop(.maxAttemptsReached))
        let tight = self.decide(now: t0 + .milliseconds(50), deadline: t0 + .milliseconds(100), budget: &budget)
        #expect(tight == .stop(.deadlineTooClose))
        let everywhere = self.decide(now: t0 + .milliseconds(100), tried: [nodeA, nodeB, nodeC], budget: &budget)
        #expect(everywhere == .stop(.noOtherNode))
        var empty = RetryBudget(configuration: RetryBudgetConfiguration(minRetriesPerSecond: 0))
        #expect(self.decide(now: t0 + .milliseconds(100), budget: &empty) == .stop(.budgetExhausted))
    }

    @Test("no backups when the policy allows none")
    func disabled() {
        var budget = RetryBudget()
        let none = HedgingPolicy(delay: .milliseconds(10), maxExtraAttempts: 0)
        let decision = none.decide(
            now: t0 + .seconds(1), startedAt: t0, extraAttemptsStarted: 0, deadline: t0 + .seconds(5),
            candidates: self.eligible, tried: [nodeA], budget: &budget
        )
        #expect(decision == .stop(.maxAttemptsReached))
    }
}
