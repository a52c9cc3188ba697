/// Whether new ops record a graph for `backward()`.
///
/// Inference (sampling, scoring, rollouts) runs inside `GradientMode.withoutRecording`
/// so that no graph is kept; this mirrors PyTorch's `torch.no_grad()`. The flag is
/// task-local, so it is scoped to the closure and never leaks between callers.
public enum GradientMode {
    @TaskLocal static var recordingFlag = true

    /// True unless inside `withoutRecording`.
    public static var isRecording: Bool { recordingFlag }

    /// Runs `body` with graph recording switched off.
    public static func withoutRecording<Result>(_ body: () throws -> Result) rethrows -> Result {
        try $recordingFlag.withValue(false, operation: body)
    }
}
