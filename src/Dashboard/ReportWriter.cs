namespace SemiNas.Dashboard;

/// <summary>`seminas report`: stores and benchmark summaries to one self-contained HTML file.</summary>
public static class ReportWriter
{
    /// <summary>Writes the report; returns the damaged store rows that were left out, for the caller to name.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<string> inputs, string output)
    {
        if (inputs.Count == 0) throw new ArgumentException("give at least one store or summary.json.");
        var data = DashboardData.Build(inputs, live: false, DateTimeOffset.UtcNow);
        var directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        // Written beside the target and moved over it, so that an open report is never seen half written.
        var temporary = output + ".tmp";
        File.WriteAllText(temporary, Page.Report(data));
        File.Move(temporary, output, overwrite: true);
        return data["sources"]!.AsArray().SelectMany(s => s!["damagedRows"]?.AsArray() ?? []).Select(d => d!.GetValue<string>()).ToList();
    }
}
