using static TorchSharp.torch;

namespace SemiNas.Tts.Scoring;

/// <summary>
/// Mel cepstral distortion between a synthesised and a recorded log-mel after dynamic time warping (Kubichek 1993,
/// MCD-DTW). The cepstra are MFCC-style: the orthonormal DCT-II of the natural-log mel amplitudes (the paper's
/// [-4, 4] scaling undone), coefficients 1–24 (c0, the loudness, left out). Frame distance
/// <c>10/ln10 · √(2 Σ_d (c_d − c'_d)²)</c> dB; the DTW path (steps (1,1), (1,0), (0,1)) minimises the summed distance, and
/// MCD is that sum over the path's length. Silence is kept. Values depend on this cepstrum, so compare them with
/// each other, not with MCDs from SPTK mel-cepstra in papers.
/// </summary>
public static class MelCepstralDistortion
{
    public const int FirstCoefficient = 1;
    public const int Coefficients = 24;

    private static readonly double DbPerNeper = 10 / Math.Log(10) * Math.Sqrt(2);

    /// <summary>MFCC-style cepstra [frames, 24] of a scaled log-mel [frames, mels].</summary>
    public static Tensor Cepstra(Tensor logMel, double minLevelDb = -100)
    {
        using var scope = NewDisposeScope();
        var mels = logMel.shape[1];
        var db = (logMel.to(ScalarType.Float64).clamp(-4, 4) + 4) / 8 * -minLevelDb + minLevelDb;
        var ln = db * (Math.Log(10) / 20);
        // Orthonormal DCT-II matrix [mels, K]: basis k at bin n is cos(π k (2n + 1) / 2N), scaled √(1/N) for k = 0, √(2/N) otherwise.
        var n = arange(mels, dtype: ScalarType.Float64).unsqueeze(1);
        var k = arange(FirstCoefficient, FirstCoefficient + Coefficients, dtype: ScalarType.Float64).unsqueeze(0);
        var basis = cos(Math.PI * k * (2 * n + 1) / (2.0 * mels)) * Math.Sqrt(2.0 / mels);
        return matmul(ln, basis.to(ln.device)).MoveToOuterDisposeScope();
    }

    /// <summary>MCD-DTW in dB between a synthesised and a reference log-mel, each [frames, mels].</summary>
    public static double Compute(Tensor synthesized, Tensor reference)
    {
        if (synthesized.dim() != 2 || reference.dim() != 2 || synthesized.shape[1] != reference.shape[1])
            throw new ArgumentException("Both log-mels must be [frames, mels] with the same mels.");
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        // The whole frame-distance matrix in one tensor operation; only the dynamic programme is sequential.
        var distance = cdist(Cepstra(synthesized).unsqueeze(0), Cepstra(reference).unsqueeze(0)).squeeze(0).cpu();
        var (rows, columns) = ((int)distance.shape[0], (int)distance.shape[1]);
        return Warp(distance.data<double>().ToArray(), rows, columns) * DbPerNeper;
    }

    /// <summary>
    /// The least summed distance of a monotonic path through a row-major [rows, columns] matrix from (0, 0) to the
    /// last cell, divided by the path's length.
    /// </summary>
    internal static double Warp(double[] distance, int rows, int columns)
    {
        var cost = new double[columns];
        var length = new int[columns];
        var previousCost = new double[columns];
        var previousLength = new int[columns];
        for (var i = 0; i < rows; i++)
        {
            (cost, previousCost) = (previousCost, cost);
            (length, previousLength) = (previousLength, length);
            for (var j = 0; j < columns; j++)
            {
                var d = distance[i * columns + j];
                if (i == 0 && j == 0)
                {
                    cost[j] = d;
                    length[j] = 1;
                    continue;
                }
                // Predecessors: diagonal, from above (i − 1), from the left (j − 1).
                var best = double.PositiveInfinity;
                var bestLength = 0;
                if (i > 0 && j > 0 && previousCost[j - 1] < best) (best, bestLength) = (previousCost[j - 1], previousLength[j - 1]);
                if (i > 0 && previousCost[j] < best) (best, bestLength) = (previousCost[j], previousLength[j]);
                if (j > 0 && cost[j - 1] < best) (best, bestLength) = (cost[j - 1], length[j - 1]);
                cost[j] = best + d;
                length[j] = bestLength + 1;
            }
        }
        return cost[columns - 1] / length[columns - 1];
    }
}
