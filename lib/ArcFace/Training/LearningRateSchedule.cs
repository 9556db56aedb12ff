namespace ArcFace.Training;

/// <summary>A learning-rate multiplier per optimizer step (0-based: the step about to be taken).</summary>
public abstract record LearningRateSchedule
{
    /// <summary>The factor on the base learning rate at <paramref name="step"/> of a run of <paramref name="totalSteps"/>.</summary>
    public abstract double Factor(long step, long stepsPerEpoch, long totalSteps);
}

/// <summary>
/// Step decay: the rate is multiplied by <paramref name="Gamma"/> at each milestone, given in epochs (fractions allowed,
/// so the paper's iteration counts can be written as epochs). The paper: ÷10 at 20K and 28K iterations of 32K.
/// </summary>
public sealed record StepDecay(double[] MilestoneEpochs, double Gamma = 0.1) : LearningRateSchedule
{
    public override double Factor(long step, long stepsPerEpoch, long totalSteps) =>
        Math.Pow(Gamma, MilestoneEpochs.Count(e => step >= (long)Math.Round(e * stepsPerEpoch)));
}

/// <summary>
/// arcface_torch's <c>PolynomialLRWarmup</c> in closed form, stepped per iteration: a linear ramp k/w over the first
/// w = <paramref name="WarmupEpochs"/> epochs of steps, then (1 − (k − w)/(T − w))^<paramref name="Power"/>
/// (power 1: linear to 0 at the last step T).
/// </summary>
public sealed record PolynomialWarmup(double WarmupEpochs = 0, double Power = 1) : LearningRateSchedule
{
    public override double Factor(long step, long stepsPerEpoch, long totalSteps)
    {
        long warmup = (long)Math.Round(WarmupEpochs * stepsPerEpoch);
        if (step < warmup) return (double)step / warmup;
        if (totalSteps <= warmup) return 1;
        return Math.Pow(1 - (double)(Math.Min(step, totalSteps) - warmup) / (totalSteps - warmup), Power);
    }
}
