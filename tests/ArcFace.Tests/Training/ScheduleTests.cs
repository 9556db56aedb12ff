using ArcFace.Training;

namespace ArcFace.Tests.Training;

public class ScheduleTests
{
    // arcface_torch PolynomialLRWarmup closed form, by hand: T = 100 steps, 10 per epoch.
    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(50, 0.5)]
    [InlineData(99, 0.01)]
    [InlineData(100, 0.0)]
    public void PolynomialPowerOneIsLinearToZero(long step, double factor) =>
        Assert.Equal(factor, new PolynomialWarmup().Factor(step, 10, 100), 12);

    // Warmup 2 epochs (w = 20 steps), power 2: k/w during warmup, then (1 − (k − 20)/80)².
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(5, 0.25)]
    [InlineData(20, 1.0)]
    [InlineData(60, 0.25)]
    [InlineData(90, 0.015625)]
    public void PolynomialWarmupRampsThenDecays(long step, double factor) =>
        Assert.Equal(factor, new PolynomialWarmup(WarmupEpochs: 2, Power: 2).Factor(step, 10, 100), 12);

    // The paper's step decay (÷10 at 20 and 28 of 32 epochs), here at epochs 2 and 3.5 with 10 steps per epoch.
    [Theory]
    [InlineData(19, 1.0)]
    [InlineData(20, 0.1)]
    [InlineData(34, 0.1)]
    [InlineData(35, 0.01)]
    public void StepDecayDividesAtMilestones(long step, double factor) =>
        Assert.Equal(factor, new StepDecay([2, 3.5]).Factor(step, 10, 40), 12);

    [Fact]
    public void PaperOptionsScaleTheMilestonesToTheProfile()
    {
        var settings = ArcFace.Runtime.Settings.Default("/tmp");
        settings = settings with { Profile = settings.Profile with { Epochs = 8 } };
        var paper = TrainingOptions.Paper(settings);
        var decay = Assert.IsType<StepDecay>(paper.Schedule);
        Assert.Equal([5.0, 7.0], decay.MilestoneEpochs);   // 8 epochs × 20/32 and × 28/32
        Assert.Equal((0.1, 0.9, 5e-4, 64, 2048L), (paper.LearningRate, paper.Momentum, paper.WeightDecay, paper.BatchSize, paper.Seed));
        Assert.IsType<PolynomialWarmup>(TrainingOptions.For(settings).EffectiveSchedule);
    }
}
