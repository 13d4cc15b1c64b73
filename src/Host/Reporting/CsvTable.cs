using CsvHelper;

namespace SemiNas.Host.Reporting;

/// <summary>
/// Every CSV file seminas writes, through CsvHelper: RFC 4180, so a label, a description or a failure reason with
/// commas, quotes or line breaks reads back as it was written.
/// </summary>
public static class CsvTable
{
    public static void Write(TextWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        using var csv = CsvWriter.Create(writer, options: null, leaveOpen: true);
        csv.WriteHeader([.. header]);
        foreach (var row in rows) csv.WriteRecord([.. row]);
    }

    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        using var writer = new StreamWriter(path);
        Write(writer, header, rows);
    }
}
