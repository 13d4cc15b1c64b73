using SemiNas.Tts.Text;

namespace SemiNas.Tts.Scoring;

/// <summary>How one synthesised (or real) sentence fared with the recogniser.</summary>
public sealed record SentenceScore(string Id, IReadOnlyList<string> Reference, IReadOnlyList<string> Hypothesis,
    EditCounts Words, EditCounts Characters, AttentionFailures? Attention = null)
{
    /// <summary>Intelligible: recognised with no word error.</summary>
    public bool Intelligible => Words.Errors == 0;

    /// <summary>
    /// A robustness error: the recogniser found a word deleted or inserted (a skip or a repeat), or the attention
    /// skipped a phone or moved backwards.
    /// </summary>
    public bool RobustnessError => Words.Deletions > 0 || Words.Insertions > 0 || Attention is { Any: true };
}

/// <summary>The final metrics over a set of sentences.</summary>
public sealed record IntelligibilityReport(IReadOnlyList<SentenceScore> Sentences)
{
    /// <summary>IR: the share of sentences recognised with no word error (0..1).</summary>
    public double IntelligibilityRate => Sentences.Count == 0 ? double.NaN : Sentences.Count(s => s.Intelligible) / (double)Sentences.Count;

    /// <summary>Word error rate over all sentences: Σ(S + D + I) / Σ N.</summary>
    public double WordErrorRate => Sum(s => s.Words).Rate;

    public double CharacterErrorRate => Sum(s => s.Characters).Rate;

    /// <summary>The share of sentences with a robustness error (meaningful on the hard sentences).</summary>
    public double RobustnessErrorRate => Sentences.Count == 0 ? double.NaN : Sentences.Count(s => s.RobustnessError) / (double)Sentences.Count;

    public EditCounts WordCounts => Sum(s => s.Words);

    public IReadOnlyDictionary<string, double> ToMetrics(string prefix = "") => new Dictionary<string, double>
    {
        [prefix + "intelligibility_rate"] = IntelligibilityRate,
        [prefix + "wer"] = WordErrorRate,
        [prefix + "cer"] = CharacterErrorRate,
        [prefix + "robustness_error_rate"] = RobustnessErrorRate,
        [prefix + "sentences"] = Sentences.Count,
    };

    private EditCounts Sum(Func<SentenceScore, EditCounts> select) => Sentences.Aggregate(default(EditCounts), (a, s) => a + select(s));

    /// <summary>Scores recognised words against the references (normalised text).</summary>
    public static IntelligibilityReport Score(IReadOnlyList<(string Id, string NormalizedText)> references,
        IReadOnlyList<Recognition> recognitions, IReadOnlyDictionary<string, AttentionFailures>? attention = null)
    {
        var byId = recognitions.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var scores = new List<SentenceScore>(references.Count);
        foreach (var (id, text) in references)
        {
            var reference = TextNormalizer.Words(text);
            var hypothesis = byId.TryGetValue(id, out var r) ? r.Words : [];
            scores.Add(new SentenceScore(id, reference, hypothesis, EditDistance.Words(reference, hypothesis),
                EditDistance.Characters(reference, hypothesis), attention is not null && attention.TryGetValue(id, out var a) ? a : null));
        }
        return new IntelligibilityReport(scores);
    }
}
