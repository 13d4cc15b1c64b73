using Microsoft.Data.Sqlite;

namespace SemiNas.Host.Tests;

/// <summary>A temporary folder for one test, deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "seminas-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public static class Configs
{
    /// <summary>A NAS-Bench-201 experiment; <paramref name="extra"/> adds top-level sections.</summary>
    public static string NasBench201(string name = "nb201", int budget = 100, int seed = 1, double simulatedSeconds = 0,
        int workers = 1, string strategy = "random", string dataset = "cifar10-valid", string extra = "") => $"""
        schemaVersion: 1
        name: {name}
        seed: {seed}
        task:
          plugin: nasbench201
          options:
            dataset: {dataset}
            simulatedSeconds: {simulatedSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}
        search:
          strategy: {strategy}
          budget: {budget}
        execution:
          workers: {workers}
          device: cpu
        {extra}
        """;
}

public static class Repository
{
    /// <summary>The checkout the tests were built from (the folder holding SemiNas.sln).</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "SemiNas.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No SemiNas.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>Reads and damages stores directly with SQL, as a crash, a second process or a disk fault would see them.</summary>
public static class StoreSql
{
    public static int CompleteTrials(string store) =>
        File.Exists(store) ? Query(store, "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'") : 0;

    public static int DistinctKeys(string store) =>
        Query(store, "SELECT COUNT(DISTINCT canonical_key) FROM trials WHERE state = 'COMPLETE'");

    public static int Query(string store, string sql)
    {
        try
        {
            using var connection = new SqliteConnection($"Data Source={store};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException)
        {
            return 0; // the file exists before its tables do
        }
    }

    public static void Execute(string store, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={store};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
