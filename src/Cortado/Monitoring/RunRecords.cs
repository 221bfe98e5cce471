using Cortado.Diagnostics;

namespace Cortado.Monitoring;

/// <summary>Where a run stands: training now, or how it ended.</summary>
public enum RunState { Training, Finished, Stopped, Diverged, Failed }

/// <summary>One training iteration: its loss, the smoothed loss Caffe displays, and the rate it used.</summary>
public readonly record struct TrainPoint(int Iteration, float Loss, float SmoothedLoss, float Rate);

/// <summary>One output of one test pass (test net <paramref name="TestNet"/>, as "Test net output #k: name = value").</summary>
public readonly record struct TestPoint(int Iteration, int TestNet, string Output, float Value);

/// <summary>
/// The scales of one layer at a sampled iteration: the RMS of its first top, of its first
/// parameter's gradient, the step taken relative to that parameter, and for a ReLU the fraction
/// of its units that no sample of the batch made positive.
/// </summary>
public sealed record LayerScale(string Layer, string Type, double ActivationRms, double GradientRms, double UpdateRatio, double DeadFraction);

/// <summary>Every monitored layer's scales at one sampled iteration.</summary>
public sealed record LayerSample(int Iteration, IReadOnlyList<LayerScale> Layers);

/// <summary>A finding raised while the run went on: from which iteration, and whether it still holds.</summary>
public sealed record LiveFinding(Finding Finding, int Iteration, bool Active, int? ClearedAt = null);
