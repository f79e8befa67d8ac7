public import CoreMetrics
public import Prometheus

/// A swift-metrics factory over swift-prometheus's ``PrometheusCollectorRegistry`` that gives krpc's metrics
/// (``KRPCMetricsCatalog``) their `# HELP` text and duration buckets; any other metric goes through a plain
/// `PrometheusMetricsFactory` on the same registry.
///
/// swift-metrics carries no help text, and `promtool check metrics` rejects a metric without one: this
/// factory is how the text gets into the output. Only executables bootstrap it (once per process):
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(KRPCPrometheusFactory(registry: registry))
/// // serve registry at /metrics with MetricsHTTPServer
/// ```
public struct KRPCPrometheusFactory: MetricsFactory {
    /// The registry the metrics are created in (and ``MetricsHTTPServer`` renders).
    public let registry: PrometheusCollectorRegistry
    private let fallback: PrometheusMetricsFactory
    private let known: [String: String]

    /// Creates metrics in `registry`.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var fallback = PrometheusMetricsFactory(registry: registry)
        fallback.defaultDurationHistogramBuckets = KRPCMetricsCatalog.durationBuckets
        self.fallback = fallback
        self.known = Dictionary(
            KRPCMetricsCatalog.all.map { ($0.name, $0.help) }, uniquingKeysWith: { first, _ in first })
    }

    private func descriptor(_ label: String) -> MetricNameDescriptor? {
        self.known[label].map { MetricNameDescriptor(metricName: label, unitName: "", helpText: $0) }
    }

    /// A counter: with its HELP text when it is one of krpc's.
    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let descriptor = self.descriptor(label) else {
            return self.fallback.makeCounter(label: label, dimensions: dimensions)
        }
        return self.registry.makeCounter(descriptor: descriptor, labels: dimensions)
    }

    /// A floating-point counter: with its HELP text when it is one of krpc's.
    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
        -> any FloatingPointCounterHandler
    {
        guard let descriptor = self.descriptor(label) else {
            return self.fallback.makeFloatingPointCounter(label: label, dimensions: dimensions)
        }
        return self.registry.makeCounter(descriptor: descriptor, labels: dimensions)
    }

    /// A gauge (`aggregate: false`, with its HELP text when it is one of krpc's) or a value histogram.
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard !aggregate, let descriptor = self.descriptor(label) else {
            return self.fallback.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        return self.registry.makeGauge(descriptor: descriptor, labels: dimensions)
    }

    /// A gauge: with its HELP text when it is one of krpc's.
    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let descriptor = self.descriptor(label) else {
            return self.fallback.makeMeter(label: label, dimensions: dimensions)
        }
        return self.registry.makeGauge(descriptor: descriptor, labels: dimensions)
    }

    /// A duration histogram: krpc's with their HELP text and ``KRPCMetricsCatalog/durationBuckets``, others with
    /// the same buckets.
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let descriptor = self.descriptor(label) else {
            return self.fallback.makeTimer(label: label, dimensions: dimensions)
        }
        return self.registry.makeDurationHistogram(
            descriptor: descriptor, labels: dimensions, buckets: KRPCMetricsCatalog.durationBuckets)
    }

    /// Removes the counter from the registry.
    public func destroyCounter(_ handler: any CounterHandler) {
        self.fallback.destroyCounter(handler)
    }

    /// Removes the counter from the registry.
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        self.fallback.destroyFloatingPointCounter(handler)
    }

    /// Removes the gauge or histogram from the registry.
    public func destroyRecorder(_ handler: any RecorderHandler) {
        self.fallback.destroyRecorder(handler)
    }

    /// Removes the gauge from the registry.
    public func destroyMeter(_ handler: any MeterHandler) {
        self.fallback.destroyMeter(handler)
    }

    /// Removes the histogram from the registry.
    public func destroyTimer(_ handler: any TimerHandler) {
        self.fallback.destroyTimer(handler)
    }
}
