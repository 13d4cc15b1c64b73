using SemiNas.Tts.Audio;

namespace SemiNas.Tts.Scoring;

/// <summary>
/// The open-vocabulary recogniser on natural human speech: the LibriVox clips (Sense and Sensibility, 16 kHz) with
/// their transcripts that Debian ships in <c>pocketsphinx-testdata</c>. Their WER says what the recogniser manages on
/// real speech without any vocoder, a sanity anchor for the TTS figures.
/// </summary>
public static class Anchor
{
    public const string Directory = "/usr/share/pocketsphinx/test/data/librivox";

    public static async Task<IntelligibilityReport> ScoreAsync(PocketSphinx recognizer, CancellationToken cancellationToken = default)
    {
        var transcription = Path.Combine(Directory, "transcription");
        if (!File.Exists(transcription))
            throw new InvalidOperationException($"{transcription} is missing: install the Debian package pocketsphinx-testdata (build/install-debian-packages.sh).");
        // Lines read "<s> the words </s> (file id)".
        var references = new List<(string Id, string Text)>();
        foreach (var line in await File.ReadAllLinesAsync(transcription, cancellationToken).ConfigureAwait(false))
        {
            var open = line.LastIndexOf('(');
            if (open < 0) continue;
            var id = line[(open + 1)..].TrimEnd(')', ' ');
            var words = line[..open].Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w is not ("<s>" or "</s>"));
            references.Add((id, string.Join(' ', words)));
        }
        var audio = references.Select(r => (r.Id, WavIo.ReadMono(Path.Combine(Directory, r.Id + ".wav"), PocketSphinx.SampleRate))).ToList();
        var heard = await recognizer.RecognizeAsync(audio, PocketSphinx.SampleRate, [SphinxDecoding.OpenVocabulary], cancellationToken).ConfigureAwait(false);
        return IntelligibilityReport.Score(references, heard[SphinxDecoding.OpenVocabulary.Name]);
    }
}
