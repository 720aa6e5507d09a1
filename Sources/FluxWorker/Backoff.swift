/// Jittered exponential backoff: each delay doubles up to `maximum`, and is drawn from its upper half so that
/// workers cut off together do not come back together.
///
/// ```swift
/// var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))
/// try await Task.sleep(for: backoff.next())
/// ```
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private var current: Duration

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
        current = initial
    }

    mutating func next() -> Duration {
        let ceiling = min(current, maximum)
        current = min(current * 2, maximum)
        let fraction = Double.random(in: 0.5...1.0)
        return .milliseconds(Int(ceiling.seconds * fraction * 1000))
    }

    mutating func reset() { current = initial }
}
