using SemiNas.Plugins.NasBench.NasBench101;

namespace SemiNas.NasBench.Tests;

/// <summary>Well-known NAS-Bench-101 cells for the tests.</summary>
internal static class NasBench101Cells
{
    /// <summary>Operation indices in the benchmark's order.</summary>
    public const int Conv3x3 = 0, Conv1x1 = 1, MaxPool = 2;

    /// <summary>The Inception-like cell of the official API's docstring (nasbench/api.py).</summary>
    public static NasBench101Spec Inception { get; } = FromMatrix(InceptionMatrix, [Conv1x1, Conv3x3, Conv3x3, Conv3x3, MaxPool]);

    /// <summary>The Inception-like cell's adjacency (upper triangular, input first, output last).</summary>
    public static int[][] InceptionMatrix =>
    [
        [0, 1, 1, 1, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
    ];

    /// <summary>The best cell of the slice by its validation accuracy (0.94912), from the data README.</summary>
    public const string BestOfSliceHash = "096f593e0f12d65f6220bf8565b764a9";

    public static NasBench101Spec FromMatrix(int[][] matrix, int[] ops)
    {
        var rows = new int[matrix.Length];
        for (var i = 0; i < matrix.Length; i++)
            for (var j = 0; j < matrix.Length; j++)
                if (matrix[i][j] == 1) rows[i] |= 1 << j;
        return new NasBench101Spec(rows, ops);
    }
}
