using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SemiNas.Contracts;

namespace SemiNas.Samples.MinimalPlugin;

/// <summary>What <c>task.options</c> binds to. YAML names are camelCase: <c>length</c>, <c>noise</c>, <c>delayMs</c>.</summary>
public sealed class OneMaxOptions
{
    [Description("Number of bits in an architecture."), Range(1, 1000)]
    public int Length { get; set; } = 16;

    [Description("Amplitude of the deterministic pseudo-noise added to the score; 0 for none."), Range(0.0, 1.0)]
    public double Noise { get; set; } = 0.5;

    [Description("Milliseconds each evaluation pretends to train, to show progress and cancellation."), Range(0, 600_000)]
    public int DelayMs { get; set; }
}

/// <summary>The entry point the host finds: public, with a public parameterless constructor.</summary>
public sealed class OneMaxPlugin : TaskPlugin<OneMaxOptions>
{
    public override string Name => "onemax";

    public override string Description => "Toy task: find the bit string with the most 1 bits.";

    // The host has already bound and validated the options, so they can be used as they are.
    protected override ISearchTask CreateTask(OneMaxOptions options, TaskCreationContext context) =>
        new OneMaxTask(options, context.Seed);
}
