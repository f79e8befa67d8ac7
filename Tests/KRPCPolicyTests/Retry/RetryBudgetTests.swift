import KRPCPolicy
import Testing

@Suite("Retry budget")
struct RetryBudgetTests {
    @Test("retries are limited to 20 % of the requests in the window")
    func ratio() {
        var budget = RetryBudget(configuration: RetryBudgetConfiguration(minRetriesPerSecond: 0))
        for n in 0..<100 { budget.recordRequest(now: t0 + .milliseconds(n)) }
        #expect(budget.availableRetries(now: t0 + .milliseconds(100)) == 20)
        let granted = (0..<30).filter { _ in budget.tryRetry(now: t0 + .milliseconds(100)) }.count
        #expect(granted == 20)
        #expect(!budget.canRetry(now: t0 + .milliseconds(100)))
        #expect(budget.counted(now: t0 + .milliseconds(100)) == (requests: 100, retries: 20))
    }

    @Test("a small per-second floor lets a quiet client fail over")
    func floor() {
        var budget = RetryBudget(configuration: RetryBudgetConfiguration(ratio: 0, minRetriesPerSecond: 1))
        #expect(budget.availableRetries(now: t0) == 10)  // 1/s over the 10 s window
        let granted = (0..<11).map { _ in budget.tryRetry(now: t0) }
        #expect(granted == Array(repeating: true, count: 10) + [false])
    }

    @Test("the defaults allow 20 % plus 5 per second")
    func defaults() {
        var budget = RetryBudget()
        for _ in 0..<10 { budget.recordRequest(now: t0) }
        #expect(budget.availableRetries(now: t0) == 52)  // 0.2 × 10 + 5 × 10 s
    }

    @Test("old requests and retries slide out of the window")
    func sliding() {
        var budget = RetryBudget(configuration: RetryBudgetConfiguration(minRetriesPerSecond: 0))
        for _ in 0..<50 { budget.recordRequest(now: t0) }
        for _ in 0..<10 { _ = budget.tryRetry(now: t0) }
        #expect(!budget.canRetry(now: t0 + .seconds(5)))
        // 11 s later both the requests and the retries have left the window.
        #expect(budget.availableRetries(now: t0 + .seconds(11)) == 0)
        for _ in 0..<5 { budget.recordRequest(now: t0 + .seconds(11)) }
        #expect(budget.availableRetries(now: t0 + .seconds(11)) == 1)
    }
}
