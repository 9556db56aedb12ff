namespace ArcFace.Training;

/// <summary>
/// What the trainer reports every N steps (<see cref="IProgress{T}"/>), for live charts and tables.
/// </summary>
/// <param name="Step">Global step, 1-based.</param>
/// <param name="TotalSteps">Steps the run will take in all.</param>
/// <param name="Epoch">Epoch, 1-based.</param>
/// <param name="Loss">Mean training loss over the steps since the last report.</param>
/// <param name="Accuracy">Training top-1 accuracy over those steps, 0–1: the margin-free classifier's prediction (<see cref="ArcFace.Losses.HeadOutput.Correct"/>).</param>
/// <param name="MeanTargetAngleDegrees">Mean angle between embeddings and their class centres, in degrees.</param>
/// <param name="LearningRate">Learning rate at this step.</param>
/// <param name="ImagesPerSecond">Throughput over those steps.</param>
public sealed record StepReport(int Step, int TotalSteps, int Epoch, double Loss, double Accuracy,
    double MeanTargetAngleDegrees, double LearningRate, double ImagesPerSecond);
