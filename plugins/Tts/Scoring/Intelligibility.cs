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

/// <summary>Word and character scores of one recogniser over a set of sentences.</summary>
public sealed record IntelligibilityReport(IReadOnlyList<SentenceScore> Sentences)
{
    /// <summary>Sentence accuracy: the share of sentences recognised with no word error (0..1). From the in-domain
    /// recogniser this is the intelligibility rate.</summary>
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

    private static readonly Dictionary<string, string> RecogniserSpellings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mr"] = "mister", ["mrs"] = "missus", ["dr"] = "doctor",
    };

    /// <summary>Scores recognised words against the references (normalised text).</summary>
    public static IntelligibilityReport Score(IReadOnlyList<(string Id, string NormalizedText)> references,
        IReadOnlyList<Recognition> recognitions, IReadOnlyDictionary<string, AttentionFailures>? attention = null)
    {
        var byId = recognitions.ToDictionary(r => r.Id, StringComparer.Ordinal);
        var scores = new List<SentenceScore>(references.Count);
        foreach (var (id, text) in references)
        {
            var reference = TextNormalizer.Words(text);
            // The hypothesis goes through the same normaliser, and CMUdict's abbreviations are spelled out as the
            // references spell them ("mr" → "mister"), so spelling conventions are no errors.
            var hypothesis = byId.TryGetValue(id, out var r)
                ? TextNormalizer.Words(string.Join(' ', r.Words.Select(w => RecogniserSpellings.GetValueOrDefault(w, w))))
                : [];
            scores.Add(new SentenceScore(id, reference, hypothesis, EditDistance.Words(reference, hypothesis),
                EditDistance.Characters(reference, hypothesis), attention is not null && attention.TryGetValue(id, out var a) ? a : null));
        }
        return new IntelligibilityReport(scores);
    }
}

/// <summary>Phone error rate of pocketsphinx's phone loop against CMUdict's phones of the reference words.</summary>
public sealed record PhoneReport(IReadOnlyList<(string Id, EditCounts Phones)> Sentences)
{
    public EditCounts Counts => Sentences.Aggregate(default(EditCounts), (a, s) => a + s.Phones);

    /// <summary>PER = Σ(S + D + I) / Σ N over the reference phones.</summary>
    public double PhoneErrorRate => Counts.Rate;

    /// <summary>
    /// Scores recognised phones against each reference word's first CMUdict pronunciation; a word CMUdict lacks adds
    /// no reference phones (every shipped sentence's words are in CMUdict).
    /// </summary>
    public static PhoneReport Score(IReadOnlyList<(string Id, string NormalizedText)> references, IReadOnlyList<Recognition> recognitions,
        CmuDict dictionary)
    {
        var byId = recognitions.ToDictionary(r => r.Id, StringComparer.Ordinal);
        return new PhoneReport(references.Select(r =>
        {
            var reference = TextNormalizer.Words(r.NormalizedText)
                .SelectMany(w => dictionary.TryGetPhones(w, out var phones) ? phones : []).ToList();
            var hypothesis = byId.TryGetValue(r.Id, out var found) ? found.Words : [];
            return (r.Id, EditDistance.Align(reference, hypothesis, StringComparer.OrdinalIgnoreCase));
        }).ToList());
    }
}

/// <summary>Skips and repeats over a set of sentences: attention failures and recogniser deletions or insertions.</summary>
/// <param name="AttentionErrors">Sentences whose attention skipped a phoneme or moved backwards (null: no attention, e.g. recordings).</param>
/// <param name="RecogniserErrors">Sentences where the in-domain recogniser deleted or inserted a word.</param>
/// <param name="OpenVocabularyErrors">Sentences where the open-vocabulary recogniser deleted or inserted a word.</param>
/// <param name="Errors">Sentences with an attention error or an in-domain recogniser deletion or insertion: the robustness error rate's numerator.</param>
public sealed record RobustnessReport(int Sentences, int? AttentionErrors, int? RecogniserErrors, int? OpenVocabularyErrors, int Errors,
    EditCounts? RecogniserWords, EditCounts? OpenVocabularyWords)
{
    public double ErrorRate => Sentences == 0 ? double.NaN : (double)Errors / Sentences;

    public object ToJson() => new
    {
        sentences = Sentences,
        errorRate = ErrorRate,
        attentionErrorRate = AttentionErrors is { } a ? (double?)a / Sentences : null,
        recogniserErrorRate = RecogniserErrors is { } r ? (double?)r / Sentences : null,
        openVocabularyErrorRate = OpenVocabularyErrors is { } o ? (double?)o / Sentences : null,
        recogniserDeletions = RecogniserWords?.Deletions,
        recogniserInsertions = RecogniserWords?.Insertions,
        openVocabularyDeletions = OpenVocabularyWords?.Deletions,
        openVocabularyInsertions = OpenVocabularyWords?.Insertions,
    };
}

/// <summary>
/// Every figure of one set of sentences: the open-vocabulary recogniser (pocketsphinx, general LM), the in-domain
/// CTC recogniser, the phone loop's PER, MCD-DTW against the recordings, and skips/repeats. A figure not measured
/// is null.
/// </summary>
public sealed record EvaluationReport(int Sentences, IntelligibilityReport? OpenVocabulary, IntelligibilityReport? Recogniser,
    PhoneReport? Phones, IntelligibilityReport? ClosedSet, double? Mcd, RobustnessReport Robustness)
{
    /// <summary>The intelligibility rate: sentences the in-domain recogniser transcribes with no word error.</summary>
    public double? IntelligibilityRate => Recogniser?.IntelligibilityRate;

    /// <summary>Flat metrics for a trial's record (fractions 0–1, MCD in dB), each name prefixed.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics(string prefix = "")
    {
        var metrics = new Dictionary<string, double> { [prefix + "sentences"] = Sentences };
        if (Recogniser is { } r)
        {
            metrics[prefix + "intelligibility_rate"] = r.IntelligibilityRate;
            metrics[prefix + "wer"] = r.WordErrorRate;
            metrics[prefix + "cer"] = r.CharacterErrorRate;
        }
        if (OpenVocabulary is { } o)
        {
            metrics[prefix + "open_sentence_accuracy"] = o.IntelligibilityRate;
            metrics[prefix + "open_wer"] = o.WordErrorRate;
            metrics[prefix + "open_cer"] = o.CharacterErrorRate;
        }
        if (Phones is { } p) metrics[prefix + "per"] = p.PhoneErrorRate;
        if (ClosedSet is { } c)
        {
            metrics[prefix + "closed_set_sentence_accuracy"] = c.IntelligibilityRate;
            metrics[prefix + "closed_set_wer"] = c.WordErrorRate;
        }
        if (Mcd is { } m) metrics[prefix + "mcd_db"] = m;
        metrics[prefix + "robustness_error_rate"] = Robustness.ErrorRate;
        return metrics;
    }

    public object ToJson(bool perSentence = false) => new
    {
        sentences = Sentences,
        intelligibilityRate = IntelligibilityRate,
        openVocabulary = OpenVocabulary is { } o ? Words(o) : null,
        recogniser = Recogniser is { } r ? Words(r) : null,
        phones = Phones is { } p ? new { per = p.PhoneErrorRate, phones = p.Counts.ReferenceLength, substitutions = p.Counts.Substitutions, deletions = p.Counts.Deletions, insertions = p.Counts.Insertions } : null,
        mcd = Mcd,
        closedSet = ClosedSet is { } c ? Words(c) : null,
        robustness = Robustness.ToJson(),
        perSentence = perSentence ? PerSentence() : null,
    };

    private static object Words(IntelligibilityReport report) => new
    {
        wer = report.WordErrorRate,
        cer = report.CharacterErrorRate,
        sentenceAccuracy = report.IntelligibilityRate,
        words = report.WordCounts.ReferenceLength,
        substitutions = report.WordCounts.Substitutions,
        deletions = report.WordCounts.Deletions,
        insertions = report.WordCounts.Insertions,
    };

    private IEnumerable<object> PerSentence()
    {
        var source = Recogniser ?? OpenVocabulary;
        if (source is null) yield break;
        for (var i = 0; i < source.Sentences.Count; i++)
        {
            var s = source.Sentences[i];
            yield return new
            {
                id = s.Id,
                reference = string.Join(' ', s.Reference),
                recogniser = Recogniser is { } r ? string.Join(' ', r.Sentences[i].Hypothesis) : null,
                openVocabulary = OpenVocabulary is { } o ? string.Join(' ', o.Sentences[i].Hypothesis) : null,
                intelligible = Recogniser?.Sentences[i].Intelligible,
                robustnessError = Recogniser?.Sentences[i].RobustnessError ?? s.Attention is { Any: true },
            };
        }
    }

    /// <summary>Combines the recognisers' results with the attention failures of each sentence.</summary>
    public static RobustnessReport Robust(int sentences, IReadOnlyList<AttentionFailures?> attention, IntelligibilityReport? recogniser,
        IntelligibilityReport? open)
    {
        var hasAttention = attention.Any(a => a is not null);
        var errors = 0;
        for (var i = 0; i < sentences; i++)
        {
            var skipped = attention[i] is { Any: true };
            var heard = recogniser is { } r && (r.Sentences[i].Words.Deletions > 0 || r.Sentences[i].Words.Insertions > 0);
            if (skipped || heard) errors++;
        }
        return new RobustnessReport(sentences,
            hasAttention ? attention.Count(a => a is { Any: true }) : null,
            recogniser?.Sentences.Count(s => s.Words.Deletions > 0 || s.Words.Insertions > 0),
            open?.Sentences.Count(s => s.Words.Deletions > 0 || s.Words.Insertions > 0),
            errors, recogniser?.WordCounts, open?.WordCounts);
    }
}
