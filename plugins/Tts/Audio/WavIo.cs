using NAudio.Wave;
using NAudio.Wave.SampleProviders;
using static System.FormattableString;

namespace SemiNas.Tts.Audio;

/// <summary>WAV files in and out, with NAudio's managed readers and resampler (no Windows codecs).</summary>
public static class WavIo
{
    /// <summary>
    /// Reads any PCM or IEEE-float WAV file as mono samples in [-1, 1] at <paramref name="sampleRate"/>: channels
    /// are averaged, and the audio is resampled (WDL resampler) when the file's rate differs.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a WAV file NAudio can decode; the message names it.</exception>
    public static float[] ReadMono(string path, int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1000);
        if (CheckChunks(path) is { } problem) throw new InvalidDataException($"{path}: {problem}");
        try
        {
            using var reader = new WaveFileReader(path);
            var format = reader.WaveFormat;
            if (format.Encoding is not (WaveFormatEncoding.Pcm or WaveFormatEncoding.IeeeFloat or WaveFormatEncoding.Extensible))
                throw new InvalidDataException($"{path}: {format.Encoding} WAV is not supported (use PCM or float).");
            ISampleProvider source = reader.ToSampleProvider();
            if (format.SampleRate != sampleRate) source = new WdlResamplingSampleProvider(source, sampleRate);
            var channels = source.WaveFormat.Channels;
            var interleaved = ReadAll(source, reader.SampleCount * channels * (long)sampleRate / Math.Max(1, format.SampleRate));
            if (channels == 1) return interleaved;
            var mono = new float[interleaved.Length / channels];
            for (var frame = 0; frame < mono.Length; frame++)
            {
                var sum = 0f;
                for (var c = 0; c < channels; c++) sum += interleaved[frame * channels + c];
                mono[frame] = sum / channels;
            }
            return mono;
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a readable WAV file ({e.Message})", e);
        }
    }

    /// <summary>
    /// Checks a RIFF/WAVE file's chunk layout against its length without reading the audio: every chunk must fit in
    /// the file, and the data chunk must hold exactly the bytes its header declares, with nothing after it but whole
    /// chunks (a LIST chunk, say). NAudio reads a file whose data chunk is cut short, or claims 2 GB, as if it were
    /// whole, and reads trailing bytes as audio-less chunks, so both would otherwise be used silently.
    /// </summary>
    /// <returns>Null when the layout is sound, else what is wrong.</returns>
    public static string? CheckChunks(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
        var length = stream.Length;
        Span<byte> header = stackalloc byte[12];
        if (stream.ReadAtLeast(header, 12, throwOnEndOfStream: false) < 12) return $"unreadable WAV file: {length} bytes, too short for a RIFF header";
        var riff = System.Text.Encoding.ASCII.GetString(header[..4]);
        if (riff == "RF64") return null; // 64-bit sizes live in a ds64 chunk; NAudio checks those itself
        if (riff != "RIFF" || System.Text.Encoding.ASCII.GetString(header[8..12]) != "WAVE") return "unreadable WAV file: no RIFF/WAVE header";

        long position = 12;
        Span<byte> chunk = stackalloc byte[8];
        var sawData = false;
        while (position < length)
        {
            if (length - position < 8)
                return sawData
                    ? $"{length - position} stray byte(s) after the data chunk: the file is longer than its header says"
                    : $"the file ends inside a chunk header at byte {position}";
            stream.Position = position;
            stream.ReadExactly(chunk);
            var id = System.Text.Encoding.ASCII.GetString(chunk[..4]);
            var size = (long)BitConverter.ToUInt32(chunk[4..8]);
            var available = length - position - 8;
            if (id == "data")
            {
                if (sawData) return "a second data chunk";
                sawData = true;
                if (size > available)
                    return Invariant($"the data chunk's header says {size:N0} bytes of audio but only {available:N0} follow: the file is truncated") +
                           (size >= int.MaxValue ? " (or its header was never finished)" : "");
            }
            else if (!id.All(c => c is >= ' ' and <= '~'))
            {
                return sawData
                    ? Invariant($"{length - position:N0} byte(s) after the data chunk that are not a chunk: the file is longer than its header says")
                    : $"a chunk without a readable name at byte {position}";
            }
            else if (size > available)
            {
                return Invariant($"the '{id}' chunk claims {size:N0} bytes but only {available:N0} follow: the file is truncated");
            }
            position += 8 + size + (size & 1);
        }
        return sawData ? null : "no data chunk";
    }

    /// <summary>Writes mono 16-bit PCM; samples beyond [-1, 1] are clipped.</summary>
    public static void WriteMono16(string path, ReadOnlySpan<float> samples, int sampleRate)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        var pcm = new byte[samples.Length * 2];
        for (var i = 0; i < samples.Length; i++)
        {
            var value = (short)Math.Round(Math.Clamp(samples[i], -1f, 1f) * short.MaxValue);
            pcm[2 * i] = (byte)value;
            pcm[2 * i + 1] = (byte)(value >> 8);
        }
        using var writer = new WaveFileWriter(path, new WaveFormat(sampleRate, 16, 1));
        writer.Write(pcm, 0, pcm.Length);
    }

    /// <summary>Resamples mono samples with NAudio's WDL resampler.</summary>
    public static float[] Resample(float[] samples, int fromRate, int toRate)
    {
        if (fromRate == toRate) return samples;
        var source = new ArraySampleProvider(samples, fromRate);
        return ReadAll(new WdlResamplingSampleProvider(source, toRate), (long)samples.Length * toRate / fromRate);
    }

    private static float[] ReadAll(ISampleProvider source, long expected)
    {
        var output = new List<float>((int)Math.Min(int.MaxValue, Math.Max(expected + 1024, 1024)));
        var buffer = new float[16384 * source.WaveFormat.Channels];
        int read;
        while ((read = source.Read(buffer, 0, buffer.Length)) > 0) output.AddRange(buffer.AsSpan(0, read));
        return output.ToArray();
    }

    private sealed class ArraySampleProvider(float[] samples, int sampleRate) : ISampleProvider
    {
        private int _position;

        public WaveFormat WaveFormat { get; } = WaveFormat.CreateIeeeFloatWaveFormat(sampleRate, 1);

        public int Read(float[] buffer, int offset, int count)
        {
            var n = Math.Min(count, samples.Length - _position);
            Array.Copy(samples, _position, buffer, offset, n);
            _position += n;
            return n;
        }
    }
}
