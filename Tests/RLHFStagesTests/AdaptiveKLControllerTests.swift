import RLHFStages
import Testing

/// Ziegler et al.'s adaptive beta.
@Suite("Adaptive KL controller")
struct AdaptiveKLControllerTests {
    @Test("four steps match ppo-small.json")
    func matchesReference() {
        var controller = AdaptiveKLController(initialValue: PPOSmall.AdaptiveKL.initialKLCoef,
                                              target: PPOSmall.AdaptiveKL.target,
                                              horizon: PPOSmall.AdaptiveKL.horizon)
        for step in PPOSmall.AdaptiveKL.steps {
            controller.update(currentKL: step.currentKL, steps: step.nSteps)
            #expect(close(controller.value, step.klCoefAfter, 1e-12), "after KL \(step.currentKL)")
        }
    }

    @Test("by hand: the error is clipped to +/-0.2 and scaled by n / horizon")
    func byHand() {
        // beta 0.1, target 1, horizon 100.
        var controller = AdaptiveKLController(initialValue: 0.1, target: 1, horizon: 100)
        // KL 2: err = 2/1 - 1 = 1 -> clipped to 0.2; n = 10: beta *= 1 + 0.2 * 10/100 = 1.02 -> 0.102
        controller.update(currentKL: 2, steps: 10)
        #expect(close(controller.value, 0.102, 1e-15))
        // KL 0.25: err = -0.75 -> -0.2; n = 50: beta *= 1 - 0.2 * 0.5 = 0.9 -> 0.0918
        controller.update(currentKL: 0.25, steps: 50)
        #expect(close(controller.value, 0.0918, 1e-15))
        // KL 1.1: err = 0.1 (inside the clip); n = 100: beta *= 1.1 -> 0.10098
        controller.update(currentKL: 1.1, steps: 100)
        #expect(close(controller.value, 0.10098, 1e-15))
        // KL on target: no change.
        controller.update(currentKL: 1, steps: 100)
        #expect(close(controller.value, 0.10098, 1e-15))
    }
}
