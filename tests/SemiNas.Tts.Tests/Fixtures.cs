using SemiNas.Tts.Data;
using SemiNas.Tts.Scoring;

namespace SemiNas.Tts.Tests;

/// <summary>
/// The Debian tools the plugin needs. Tests that need them call <see cref="Require"/>, which fails (never skips)
/// with the reason when they are missing: build/install-debian-packages.sh is what installs them.
/// </summary>
internal static class DebianTools
{
    public static void Require()
    {
        var problems = new List<string>();
        if (new PocketSphinx().CheckInstalled() is { } asr) problems.Add(asr);
        if (!File.Exists(Text.CmuDict.DebianPath)) problems.Add($"{Text.CmuDict.DebianPath} is missing (package pocketsphinx-en-us)");
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (!path.Any(d => File.Exists(Path.Combine(d, Flite.Executable)))) problems.Add("flite is not installed (package flite)");
        Assert.True(problems.Count == 0,
            "The tts tests need Debian's flite, pocketsphinx and pocketsphinx-en-us; run build/install-debian-packages.sh. " +
            string.Join("; ", problems));
    }
}

/// <summary>A temporary folder, deleted at the end.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("seminas-tts-test-").FullName;

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A small flite corpus of the first shipped sentences, made once for the tests that read real audio.</summary>
public sealed class FliteCorpusFixture : IDisposable
{
    public const int Sentences = 12;

    private readonly TempFolder _folder = new();

    public FliteCorpusFixture()
    {
        DebianTools.Require();
        var sentences = SentenceList.LoadShipped(SentenceList.Shipped).Take(Sentences).ToList();
        Corpus = CorpusMaker.MakeAsync(sentences, _folder.Combine("corpus")).GetAwaiter().GetResult();
    }

    public LjSpeechCorpus Corpus { get; }

    /// <summary>
    /// A copy of the corpus itself (its files and wavs/) in <paramref name="root"/>, for a test to damage; not the
    /// cache folders other tests leave beside them (the trained recogniser).
    /// </summary>
    public string CopyTo(string root)
    {
        Directory.CreateDirectory(System.IO.Path.Combine(root, "wavs"));
        foreach (var file in Directory.GetFiles(Corpus.Directory))
            File.Copy(file, System.IO.Path.Combine(root, System.IO.Path.GetFileName(file)));
        foreach (var wav in Directory.GetFiles(System.IO.Path.Combine(Corpus.Directory, "wavs")))
            File.Copy(wav, System.IO.Path.Combine(root, "wavs", System.IO.Path.GetFileName(wav)));
        return root;
    }

    public void Dispose() => _folder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class FliteCorpusCollection : ICollectionFixture<FliteCorpusFixture>
{
    public const string Name = "flite corpus";
}
