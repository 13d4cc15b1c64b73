using System.Globalization;
using System.Text;
using SemiNas.Tts.Audio;
using SemiNas.Tts.Text;

namespace SemiNas.Tts.Data;

/// <summary>
/// Writes an LJSpeech-format corpus from a sentence list with flite: <c>wavs/&lt;id&gt;.wav</c> at the corpus rate
/// (flite speaks at 16 kHz; NAudio resamples) and <c>metadata.csv</c>. flite reads the normalised text, so the audio
/// says exactly the words of the third column, which is what the recogniser is scored against.
/// </summary>
public static class CorpusMaker
{
    public static async Task<LjSpeechCorpus> MakeAsync(IReadOnlyList<Sentence> sentences, string outputDirectory,
        string voice = "slt", int sampleRate = 22_050, string idPrefix = "FL", IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (sentences.Count == 0) throw new ArgumentException("No sentences to synthesise.", nameof(sentences));
        var root = Path.GetFullPath(outputDirectory);
        var wavs = Path.Combine(root, LjSpeechCorpus.WavFolder);
        Directory.CreateDirectory(wavs);
        var rows = new string[sentences.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, sentences.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var sentence = sentences[i];
                var id = string.Create(CultureInfo.InvariantCulture, $"{idPrefix}-{i + 1:D4}");
                var text = sentence.Text.Replace('|', ' ');
                var normalized = TextNormalizer.Normalize(text);
                if (TextNormalizer.Words(normalized).Count == 0)
                    throw new InvalidDataException($"sentence on line {sentence.Line} has no words: \"{sentence.Text}\"");
                var raw = Path.Combine(wavs, id + ".flite.wav");
                try
                {
                    await Flite.SynthesizeAsync(normalized, voice, raw, token).ConfigureAwait(false);
                    var samples = WavIo.ReadMono(raw, sampleRate);
                    WavIo.WriteMono16(Path.Combine(wavs, id + ".wav"), samples, sampleRate);
                }
                finally
                {
                    File.Delete(raw);
                }
                rows[i] = $"{id}|{text}|{normalized}";
                progress?.Report(Interlocked.Increment(ref done));
            }).ConfigureAwait(false);
        await File.WriteAllLinesAsync(Path.Combine(root, LjSpeechCorpus.MetadataFile), rows, new UTF8Encoding(false), cancellationToken)
            .ConfigureAwait(false);
        return LjSpeechCorpus.Load(root, BadInputPolicy.Fail);
    }
}
