using SemiNas.Contracts;

namespace SemiNas.Tts.Commands;

/// <summary>A bad command line: the command prints the message and exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The parsed options of a tts command with their defaults and ranges: the host has checked that each option exists
/// and has a value of its type; the ranges, which it does not know, are checked here.
/// </summary>
internal sealed class CommandArguments(PluginCommandInput input)
{
    public bool Has(string name) => input.Has(name);

    /// <summary>Where the command reports its stages; the host shows them (a live view, or throttled lines in a log).</summary>
    public IProgress<CommandProgress> Progress => input.Progress;

    /// <summary>
    /// The recogniser's messages (training it: one per epoch) as the progress of the stage "in-domain recogniser", which
    /// the host shows throttled, instead of a line each.
    /// </summary>
    public Action<string> RecogniserLog => message => input.Progress.Report(new CommandProgress(RecogniserStage) { Message = message.Trim() });

    public const string RecogniserStage = "in-domain recogniser";

    public string? Get(string name) => input.Get<string?>(name, null);

    public string Required(string name) => input.Get<string>(name);

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var value = input.Get(name, fallback);
        return value >= min && value <= max ? value
            : throw new UsageException($"{name} must be an integer in {min}..{max}, not {value}.");
    }

    public double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        var value = input.Get(name, fallback);
        return value >= min && value <= max ? value
            : throw new UsageException($"{name} must be a number in {min}..{max}, not {value}.");
    }
}
