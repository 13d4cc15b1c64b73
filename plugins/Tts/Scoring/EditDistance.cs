namespace SemiNas.Tts.Scoring;

/// <summary>Counts of a minimum edit alignment of a hypothesis against a reference.</summary>
public readonly record struct EditCounts(int Substitutions, int Deletions, int Insertions, int ReferenceLength)
{
    public int Errors => Substitutions + Deletions + Insertions;

    /// <summary>(S + D + I) / N; with an empty reference, 0 when the hypothesis is empty too, else 1 per inserted token.</summary>
    public double Rate => ReferenceLength == 0 ? Insertions : (double)Errors / ReferenceLength;

    public static EditCounts operator +(EditCounts a, EditCounts b) =>
        new(a.Substitutions + b.Substitutions, a.Deletions + b.Deletions, a.Insertions + b.Insertions, a.ReferenceLength + b.ReferenceLength);
}

/// <summary>Levenshtein alignment with substitution, deletion and insertion counts (sclite's unit costs).</summary>
public static class EditDistance
{
    public static EditCounts Align<T>(IReadOnlyList<T> reference, IReadOnlyList<T> hypothesis, IEqualityComparer<T>? comparer = null)
    {
        comparer ??= EqualityComparer<T>.Default;
        int n = reference.Count, m = hypothesis.Count;
        // cost[i, j]: distance between reference[..i] and hypothesis[..j]; ties broken towards substitutions, then
        // deletions, as sclite does.
        var cost = new int[n + 1, m + 1];
        for (var i = 0; i <= n; i++) cost[i, 0] = i;
        for (var j = 0; j <= m; j++) cost[0, j] = j;
        for (var i = 1; i <= n; i++)
        for (var j = 1; j <= m; j++)
        {
            var diagonal = cost[i - 1, j - 1] + (comparer.Equals(reference[i - 1], hypothesis[j - 1]) ? 0 : 1);
            cost[i, j] = Math.Min(diagonal, Math.Min(cost[i - 1, j] + 1, cost[i, j - 1] + 1));
        }

        int substitutions = 0, deletions = 0, insertions = 0;
        for (int i = n, j = m; i > 0 || j > 0;)
        {
            if (i > 0 && j > 0 && cost[i, j] == cost[i - 1, j - 1] + (comparer.Equals(reference[i - 1], hypothesis[j - 1]) ? 0 : 1))
            {
                if (!comparer.Equals(reference[i - 1], hypothesis[j - 1])) substitutions++;
                i--;
                j--;
            }
            else if (i > 0 && cost[i, j] == cost[i - 1, j] + 1)
            {
                deletions++;
                i--;
            }
            else
            {
                insertions++;
                j--;
            }
        }
        return new EditCounts(substitutions, deletions, insertions, n);
    }

    /// <summary>Word alignment.</summary>
    public static EditCounts Words(IReadOnlyList<string> reference, IReadOnlyList<string> hypothesis) =>
        Align(reference, hypothesis, StringComparer.Ordinal);

    /// <summary>Character alignment of the words joined by single spaces.</summary>
    public static EditCounts Characters(IReadOnlyList<string> reference, IReadOnlyList<string> hypothesis) =>
        Align(string.Join(' ', reference).ToCharArray(), string.Join(' ', hypothesis).ToCharArray());
}
