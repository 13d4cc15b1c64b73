using System.Diagnostics;

namespace SemiNas.Tts.Data;

/// <summary>Debian's <c>flite</c> speech synthesiser, run as a process.</summary>
public static class Flite
{
    public const string Executable = "flite";

    /// <summary>Voices flite 2.2 has built in; slt (US female) is the closest to LJSpeech.</summary>
    public static readonly IReadOnlyList<string> Voices = ["slt", "rms", "awb", "kal", "kal16"];

    /// <summary>Synthesises <paramref name="text"/> with <paramref name="voice"/> into a 16 kHz WAV file.</summary>
    public static async Task SynthesizeAsync(string text, string voice, string wavPath, CancellationToken cancellationToken)
    {
        if (!Voices.Contains(voice))
            throw new ArgumentException($"Unknown flite voice '{voice}'; flite has {string.Join(", ", Voices)}.", nameof(voice));
        // The text goes through a file: flite's -t would read a leading '-' as an option.
        var textFile = wavPath + ".txt";
        await File.WriteAllTextAsync(textFile, text + Environment.NewLine, cancellationToken).ConfigureAwait(false);
        try
        {
            var (exitCode, error) = await ExternalTool.RunAsync(Executable, ["-voice", voice, "-f", textFile, "-o", wavPath],
                "flite", cancellationToken).ConfigureAwait(false);
            if (exitCode != 0 || !File.Exists(wavPath))
                throw new InvalidOperationException($"flite failed (exit code {exitCode}) on \"{text}\": {error.Trim()}");
        }
        finally
        {
            File.Delete(textFile);
        }
    }
}

/// <summary>Runs the Debian tools the plugin uses, with a clear error when one is not installed.</summary>
internal static class ExternalTool
{
    public static async Task<(int ExitCode, string Error)> RunAsync(string executable, IEnumerable<string> arguments,
        string package, CancellationToken cancellationToken, string? standardOutputFile = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"{executable} is not installed ({e.Message}): install the Debian package {package} " +
                "(build/install-debian-packages.sh installs every package the tts plugin needs).", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw;
            }
            var stdout = await output.ConfigureAwait(false);
            if (standardOutputFile is not null) await File.WriteAllTextAsync(standardOutputFile, stdout, CancellationToken.None).ConfigureAwait(false);
            return (process.ExitCode, await error.ConfigureAwait(false));
        }
    }
}
