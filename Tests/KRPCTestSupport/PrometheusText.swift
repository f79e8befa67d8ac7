/// Samples read from the Prometheus text exposition format, for tests that check metric values.
public struct PrometheusText: Sendable {
    /// One sample: `name{labels} value`.
    public struct Sample: Sendable, Hashable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    /// Every sample, in order (comments skipped).
    public let samples: [Sample]

    /// Parses `text` (label values without escaped quotes, as krpc's are).
    public init(_ text: String) {
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let series = line[..<space]
            var labels: [String: String] = [:]
            let name: Substring
            if let brace = series.firstIndex(of: "{"), series.last == "}" {
                name = series[..<brace]
                let body = series[series.index(after: brace)..<series.index(before: series.endIndex)]
                for pair in body.split(separator: ",") {
                    guard let equals = pair.firstIndex(of: "=") else { continue }
                    labels[String(pair[..<equals])] = String(pair[pair.index(after: equals)...].dropFirst().dropLast())
                }
            } else {
                name = series
            }
            samples.append(Sample(name: String(name), labels: labels, value: value))
        }
        self.samples = samples
    }

    /// The value of the sample named `name` whose labels include `labels`, if exactly one matches.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = self.matching(name, labels)
        return matching.count == 1 ? matching[0].value : nil
    }

    /// The samples named `name` whose labels include `labels`.
    public func matching(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        self.samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
    }
}
