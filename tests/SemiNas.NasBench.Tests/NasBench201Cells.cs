using SemiNas.Contracts;

namespace SemiNas.NasBench.Tests;

/// <summary>Well-known NAS-Bench-201 cells the tests refer to.</summary>
internal static class NasBench201Cells
{
    /// <summary>The ResNet cell of the NAS-Bench-201 paper (93.97 % CIFAR-10 test accuracy).</summary>
    public const int ResNetIndex = 11472;

    public const string ResNetArchStr =
        "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|";

    /// <summary>ResNet's edges as tokens: 4 nor_conv_3x3, 1 none, 4, 2 skip_connect, 1, 2.</summary>
    public static Architecture ResNet => Architecture.Parse("4 1 4 2 1 2");
}
