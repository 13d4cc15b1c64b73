using static TorchSharp.torch;

namespace SemiNas.Tts.Scoring;

/// <summary>Attention statistics of one utterance.</summary>
/// <param name="FocusRate">FR (FastSpeech): Σ_t max_s a[t,s] / Σ a.</param>
/// <param name="PhoneCoverage">PCR: mean over counted source positions of max_t a[t,s].</param>
/// <param name="DiagonalFocusRate">DFR: the share of attention mass in a band around s = (L_src/L_tgt)·t.</param>
public readonly record struct AttentionScores(double FocusRate, double PhoneCoverage, double DiagonalFocusRate);

/// <summary>Attention failures that make a listener hear a skipped or repeated word.</summary>
/// <param name="SkippedPhones">Counted source positions never the argmax of a frame and covered less than the threshold.</param>
/// <param name="BackwardMoves">Frames whose argmax falls back more than the tolerance behind the furthest position reached.</param>
public readonly record struct AttentionFailures(int SkippedPhones, int BackwardMoves)
{
    public bool Any => SkippedPhones > 0 || BackwardMoves > 0;
}

/// <summary>
/// The SemiNAS attention metrics (tts/utils.py: get_focus_rate, get_phone_coverage_rate,
/// get_diagonal_focus_rate, select_attn), batched in TorchSharp. Attention is [batch, target frames, source tokens].
/// </summary>
public static class AttentionMetrics
{
    /// <summary>The band's half-width is min(L_tgt / BandFactor, BandCap) frames, as in SemiNAS.</summary>
    public const double BandFactor = 5;
    public const double BandCap = 50;

    /// <param name="attention">[B, T, S] attention probabilities (rows sum to 1 on real frames).</param>
    /// <param name="sourceLengths">Real source tokens of each item; positions beyond are padding.</param>
    /// <param name="targetLengths">Real target frames of each item.</param>
    /// <param name="counted">[B, S] bool: the source positions phone coverage averages over (phones, not word
    /// boundaries or padding); null counts every real source position.</param>
    public static AttentionScores[] Compute(Tensor attention, long[] sourceLengths, long[] targetLengths, Tensor? counted = null)
    {
        if (attention.dim() != 3) throw new ArgumentException($"attention must be [batch, target, source], not [{string.Join(", ", attention.shape)}].");
        var (b, t, s) = (attention.shape[0], attention.shape[1], attention.shape[2]);
        if (sourceLengths.Length != b || targetLengths.Length != b) throw new ArgumentException("One source and one target length per item.");
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        var device = attention.device;
        var a = attention.to(ScalarType.Float32);
        var srcLen = tensor(sourceLengths, device: device);
        var tgtLen = tensor(targetLengths, device: device);
        var srcMask = arange(s, device: device).unsqueeze(0).lt(srcLen.unsqueeze(1));          // [B, S]
        var tgtMask = arange(t, device: device).unsqueeze(0).lt(tgtLen.unsqueeze(1));          // [B, T]
        a = a * srcMask.unsqueeze(1) * tgtMask.unsqueeze(2);
        var total = a.sum([1, 2]);

        var focus = a.max(-1).values.sum(-1) / total;

        var coveredMask = counted is null ? srcMask : srcMask.logical_and(counted.to(device).to(ScalarType.Bool));
        var coverage = (a * coveredMask.unsqueeze(1)).max(1).values.sum(-1) / coveredMask.sum(-1).to(ScalarType.Float32);

        var k = (srcLen.to(ScalarType.Float32) / tgtLen.to(ScalarType.Float32)).view(b, 1, 1);
        var width = minimum(tgtLen.to(ScalarType.Float32) / BandFactor, full_like(tgtLen, BandCap, ScalarType.Float32)).view(b, 1, 1);
        var x = arange(t, device: device, dtype: ScalarType.Float32).view(1, t, 1);
        var y = arange(s, device: device, dtype: ScalarType.Float32).view(1, 1, s);
        var offset = y - k * x;
        var band = (offset + k * width).ge(0).logical_and((offset - k * width).le(0));
        var diagonal = (a * band).sum([1, 2]) / total;

        var fr = focus.cpu().data<float>().ToArray();
        var pcr = coverage.cpu().data<float>().ToArray();
        var dfr = diagonal.cpu().data<float>().ToArray();
        return Enumerable.Range(0, (int)b).Select(i => new AttentionScores(fr[i], pcr[i], dfr[i])).ToArray();
    }

    /// <summary>
    /// SemiNAS's select_attn: in every layer the head whose frames focus most (Σ_t max_s), then the layer that
    /// focuses most. <paramref name="layers"/> are [B, heads, T, S] probabilities (head counts may differ).
    /// </summary>
    public static Tensor SelectMostFocused(IReadOnlyList<Tensor> layers)
    {
        if (layers.Count == 0) throw new ArgumentException("No attention layers.", nameof(layers));
        using var scope = NewDisposeScope();
        var best = layers.Select(PickMostFocused).ToArray();        // each [B, T, S]
        var stacked = stack(best, 1);                                // [B, L, T, S]
        return PickMostFocused(stacked).MoveToOuterDisposeScope();
    }

    // [B, N, T, S] → [B, T, S]: the n with the largest Σ_t max_s a.
    private static Tensor PickMostFocused(Tensor candidates)
    {
        var score = candidates.max(-1).values.sum(-1);               // [B, N]
        var index = score.argmax(-1);                                // [B]
        var (b, t, s) = (candidates.shape[0], candidates.shape[2], candidates.shape[3]);
        return candidates.gather(1, index.view(b, 1, 1, 1).expand(b, 1, t, s)).squeeze(1);
    }

    /// <summary>
    /// Skips and backward jumps in one utterance's attention [T, S] (real frames and tokens only):
    /// a counted position that no frame attends most and whose best coverage is under
    /// <paramref name="coverageThreshold"/> is skipped; a frame whose most-attended position lies more than
    /// <paramref name="backwardTolerance"/> positions behind the furthest reached so far moves backwards.
    /// </summary>
    public static AttentionFailures Failures(Tensor attention, IReadOnlyList<bool> counted, double coverageThreshold = 0.2,
        int backwardTolerance = 2)
    {
        if (attention.dim() != 2 || attention.shape[1] != counted.Count)
            throw new ArgumentException("attention must be [T, S] with one counted flag per source position.");
        using var scope = NewDisposeScope();
        using var guard = no_grad();
        var a = attention.to(ScalarType.Float32).cpu();
        var path = a.argmax(-1).data<long>().ToArray();
        var coverage = a.max(0).values.data<float>().ToArray();

        var visited = new bool[counted.Count];
        var furthest = -1L;
        var backward = 0;
        foreach (var position in path)
        {
            visited[position] = true;
            if (position < furthest - backwardTolerance) backward++;
            furthest = Math.Max(furthest, position);
        }
        var skipped = 0;
        for (var i = 0; i < counted.Count; i++)
            if (counted[i] && !visited[i] && coverage[i] < coverageThreshold) skipped++;
        return new AttentionFailures(skipped, backward);
    }
}
