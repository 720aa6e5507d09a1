import Flux

/// `sleep`: three durable sleeps in a row. Each records its wake-up time before sleeping, so an
/// execution recovered after a crash sleeps only for what remains.
///
/// The original slept 2 s, 5 s and 3.5 s; these are the same ratios, twenty times shorter.
public enum SleepExample {
    public static let durations: [Double] = [0.1, 0.25, 0.175]

    public static let workflow = FluxCore.workflow(
        "sleep", description: "Sleeps durably three times (0.1 s, 0.25 s, 0.175 s)"
    ) { (_: ExecutionContext<NoInput>) -> String in
        for seconds in durations {
            try await sleep(seconds: seconds)
        }
        return "awake"
    }
}
