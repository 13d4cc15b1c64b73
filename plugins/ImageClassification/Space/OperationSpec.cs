using System.Globalization;
using System.Text.RegularExpressions;

namespace SemiNas.ImageClassification;

/// <summary>A candidate operation of a searchable layer: an MBConv (kernel, expansion) or "zero" (the layer is skipped).</summary>
public sealed partial record OperationSpec(string Name, int Kernel, int Expansion)
{
    public bool IsZero => Kernel == 0;

    public static OperationSpec Zero { get; } = new("zero", 0, 0);

    /// <summary>Parses "k5e6" (MBConv, 5x5 depthwise, expansion 6) or "zero".</summary>
    public static OperationSpec Parse(string text)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        if (trimmed == "zero") return Zero;
        var match = Pattern().Match(trimmed);
        if (!match.Success)
            throw new FormatException($"operation '{text}' is neither 'zero' nor kKeE (e.g. k3e6: 3x3 depthwise, expansion 6).");
        var kernel = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var expansion = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        if (kernel % 2 == 0 || kernel > 15)
            throw new FormatException($"operation '{text}': the kernel must be odd and at most 15.");
        if (expansion is < 1 or > 16)
            throw new FormatException($"operation '{text}': the expansion must be between 1 and 16.");
        return new OperationSpec($"k{kernel}e{expansion}", kernel, expansion);
    }

    public override string ToString() => Name;

    [GeneratedRegex(@"^k(\d+)e(\d+)$")]
    private static partial Regex Pattern();
}
