import KRPCPolicy
import Testing

@Suite("Failover decisions")
struct FailoverPolicyTests {
    let eligible = candidates(nodeA, nodeB, nodeC)
    let deadline = t0 + .seconds(5)

    func decide(
        _ kind: FailureKind = .internal,
        attempts: Int = 1,
        now: ContinuousClock.Instant = t0 + .milliseconds(10),
        tried: Set<NodeAddress> = [nodeA],
        budget: inout RetryBudget
    ) -> FailoverDecision {
        FailoverPolicy().decide(
            after: kind,
            attemptsMade: attempts,
            now: now,
            deadline: self.deadline,
            candidates: self.eligible,
            tried: tried,
            budget: &budget
        )
    }

    @Test("a retryable failure is retried on an untried node and costs one retry")
    func retries() {
        var budget = RetryBudget()
        #expect(self.decide(budget: &budget) == .retry(on: candidates(nodeB, nodeC)))
        #expect(budget.counted(now: t0 + .milliseconds(10)).retries == 1)
    }

    @Test("the kinds retried by default", arguments: FailureKind.allCases)
    func retryableKinds(kind: FailureKind) {
        var budget = RetryBudget()
        let decision = self.decide(kind, budget: &budget)
        if kind == .other {
            #expect(decision == .giveUp(.notRetryable(.other)))
        } else {
            #expect(decision == .retry(on: candidates(nodeB, nodeC)))
        }
    }

    @Test("each reason to give up, without spending budget")
    func giveUps() {
        var budget = RetryBudget()
        #expect(self.decide(attempts: 3, budget: &budget) == .giveUp(.attemptsExhausted))
        #expect(self.decide(now: t0 + .seconds(5), budget: &budget) == .giveUp(.deadlineTooClose))
        #expect(self.decide(tried: [nodeA, nodeB, nodeC], budget: &budget) == .giveUp(.noOtherNode))
        #expect(budget.counted(now: t0).retries == 0)
        var empty = RetryBudget(configuration: RetryBudgetConfiguration(minRetriesPerSecond: 0))
        #expect(self.decide(budget: &empty) == .giveUp(.budgetExhausted))
    }

    @Test("five failures of one node, each retried elsewhere: the caller sees none")
    func seedScenario() {
        var budget = RetryBudget()
        var failuresSeen = 0
        for call in 0..<5 {
            let now = t0 + .milliseconds(call)
            budget.recordRequest(now: now)
            let decision = FailoverPolicy().decide(
                after: .internal,
                attemptsMade: 1,
                now: now,
                deadline: now + .seconds(5),
                candidates: self.eligible,
                tried: [nodeA],
                budget: &budget
            )
            if case .giveUp = decision { failuresSeen += 1 }
        }
        #expect(failuresSeen == 0)
    }
}
