import KRPCPolicy
import Testing

@Suite("Configuration validation")
struct ConfigurationValidationTests {
    @Test("every default configuration is valid")
    func defaultsValid() throws {
        try BreakerConfiguration().validate()
        try FailureRateConfiguration().validate()
        try HealthProbeConfiguration().validate()
        try Backoff().validate()
        try SlowStartConfiguration().validate()
        try RetryBudgetConfiguration().validate()
        try FailoverPolicy().validate()
        try HedgingPolicy().validate()
        try EjectionPolicy().validate()
    }

    static func breaker(_ change: (inout BreakerConfiguration) -> Void) -> @Sendable () throws -> Void {
        var config = BreakerConfiguration()
        change(&config)
        let frozen = config
        return { try frozen.validate() }
    }

    static let invalid: [(field: String, validate: @Sendable () throws -> Void)] = [
        ("BreakerConfiguration.failureThreshold", breaker { $0.failureThreshold = 0 }),
        ("BreakerConfiguration.failureRate.threshold", breaker { $0.failureRate?.threshold = 1.5 }),
        ("BreakerConfiguration.failureRate.threshold", breaker { $0.failureRate?.threshold = 0 }),
        ("BreakerConfiguration.failureRate.window", breaker { $0.failureRate?.window = .zero }),
        ("BreakerConfiguration.failureRate.minimumCalls", breaker { $0.failureRate?.minimumCalls = 0 }),
        ("BreakerConfiguration.failureRate.buckets", breaker { $0.failureRate?.buckets = 0 }),
        ("BreakerConfiguration.cooldown.initial", breaker { $0.cooldown.initial = .zero }),
        ("BreakerConfiguration.cooldown.max", breaker { $0.cooldown.max = .milliseconds(100) }),
        ("BreakerConfiguration.cooldown.multiplier", breaker { $0.cooldown.multiplier = 0.5 }),
        ("BreakerConfiguration.cooldown.jitter", breaker { $0.cooldown.jitter = .nan }),
        ("BreakerConfiguration.cooldownResetAfter", breaker { $0.cooldownResetAfter = .seconds(-1) }),
        ("BreakerConfiguration.halfOpenMaxTrials", breaker { $0.halfOpenMaxTrials = 0 }),
        ("BreakerConfiguration.halfOpenSuccessThreshold", breaker { $0.halfOpenSuccessThreshold = 0 }),
        ("BreakerConfiguration.probe.interval", breaker { $0.probe?.interval = .zero }),
        ("BreakerConfiguration.probe.timeout", breaker { $0.probe?.timeout = .seconds(-1) }),
        ("Backoff.jitter", { try Backoff(jitter: 2).validate() }),
        ("SlowStartConfiguration.window", { try SlowStartConfiguration(window: .seconds(-1)).validate() }),
        ("SlowStartConfiguration.initialFactor", { try SlowStartConfiguration(initialFactor: 0).validate() }),
        ("RetryBudgetConfiguration.ratio", { try RetryBudgetConfiguration(ratio: -0.1).validate() }),
        (
            "RetryBudgetConfiguration.minRetriesPerSecond",
            { try RetryBudgetConfiguration(minRetriesPerSecond: -1).validate() }
        ),
        ("RetryBudgetConfiguration.window", { try RetryBudgetConfiguration(window: .zero).validate() }),
        ("RetryBudgetConfiguration.buckets", { try RetryBudgetConfiguration(buckets: 0).validate() }),
        ("FailoverPolicy.maxAttempts", { try FailoverPolicy(maxAttempts: 0).validate() }),
        ("FailoverPolicy.minimumTimeLeft", { try FailoverPolicy(minimumTimeLeft: .seconds(-1)).validate() }),
        ("HedgingPolicy.delay", { try HedgingPolicy(delay: .zero).validate() }),
        ("HedgingPolicy.maxExtraAttempts", { try HedgingPolicy(maxExtraAttempts: -1).validate() }),
        ("EjectionPolicy.maxEjected", { try EjectionPolicy(maxEjected: .atMost(-1)).validate() }),
    ]

    @Test("an invalid field is named in the error", arguments: invalid)
    func namesField(field: String, validate: @Sendable () throws -> Void) {
        let error = #expect(throws: PolicyConfigurationError.self) { try validate() }
        #expect(error?.field == field)
        #expect(error?.description.hasPrefix("invalid configuration: \(field) ") == true)
    }

    @Test("the message says what is wrong")
    func message() {
        let error = #expect(throws: PolicyConfigurationError.self) {
            try BreakerConfiguration(failureThreshold: 0).validate()
        }
        #expect(
            error?.description
                == "invalid configuration: BreakerConfiguration.failureThreshold must be at least 1 (got 0)")
    }
}
