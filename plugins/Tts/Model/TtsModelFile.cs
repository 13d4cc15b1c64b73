using System.Text.Json;
using SemiNas.Tts.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Tts.Model;

/// <summary>What a saved model folder records besides its weights: enough to rebuild it and find its test sentences.</summary>
public sealed record TtsModelManifest
{
    public int[] Architecture { get; init; } = [];
    public TtsModelSettings Settings { get; init; } = new();
    public int StepsDone { get; init; }
    public int StepsPlanned { get; init; }
    public SplitKind Split { get; init; }
    public int TrainUtterances { get; init; }
    public int ValidUtterances { get; init; }
    public int TestUtterances { get; init; }
    public int SplitSeed { get; init; }

    /// <summary>Mean mel frames per input token in the training data: bounds free-running decoding of text without audio.</summary>
    public double FramesPerToken { get; init; }

    /// <summary>The step whose weights <c>best.bin</c> holds: the lowest validation loss of the checkpoints (0: none yet).</summary>
    public int BestStep { get; init; }

    /// <summary>That validation loss (mel MSE + stop BCE, teacher-forced), or null before the first checkpoint.</summary>
    public double? BestValidLoss { get; init; }

    /// <summary>Wall seconds spent training up to the latest checkpoint, summed over every run that resumed it.</summary>
    public double TrainingSeconds { get; init; }

    /// <summary>The seed of the dropout generator from the latest checkpoint on, where a resumed training re-seeds it (null: written before it was kept).</summary>
    public long? DropoutSeed { get; init; }
}

/// <summary>
/// A model folder: <c>model.json</c> (the manifest), <c>model.bin</c> (the latest weights, where training resumes),
/// <c>best.bin</c> (the weights of the checkpoint with the lowest validation loss, which evaluation reads) and, while
/// training, <c>optimizer.bin</c>. Written through temporary files and renames, so a killed process leaves the previous
/// checkpoint whole.
/// </summary>
public static class TtsModelFile
{
    public const string ManifestFile = "model.json";
    public const string WeightsFile = "model.bin";
    public const string OptimizerFile = "optimizer.bin";
    public const string BestWeightsFile = "best.bin";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, ManifestFile)) && File.Exists(Path.Combine(directory, WeightsFile));

    public static void Save(string directory, TtsModelManifest manifest, TransformerTts model, TtsTrainer? trainer)
    {
        Directory.CreateDirectory(directory);
        var weights = Path.Combine(directory, WeightsFile);
        model.save(weights + ".tmp");
        if (trainer is not null) trainer.Save(Path.Combine(directory, OptimizerFile + ".tmp"));
        File.WriteAllText(Path.Combine(directory, ManifestFile + ".tmp"), JsonSerializer.Serialize(manifest, Json));
        File.Move(weights + ".tmp", weights, overwrite: true);
        if (trainer is not null) File.Move(Path.Combine(directory, OptimizerFile + ".tmp"), Path.Combine(directory, OptimizerFile), overwrite: true);
        // The manifest goes last: its step count never runs ahead of the weights beside it.
        File.Move(Path.Combine(directory, ManifestFile + ".tmp"), Path.Combine(directory, ManifestFile), overwrite: true);
    }

    public static TtsModelManifest ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no model here (a folder written by `seminas train` with the tts plugin has model.json and model.bin).", path);
        try
        {
            return JsonSerializer.Deserialize<TtsModelManifest>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path}: empty manifest.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a model manifest ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Rebuilds the model of a folder on <paramref name="device"/>: with the best weights by validation loss when the
    /// folder has them (a folder from before they were kept has only the latest), or the latest when
    /// <paramref name="latest"/> (to resume training).
    /// </summary>
    public static (TransformerTts Model, TtsModelManifest Manifest) Load(string directory, Device device, bool latest = false)
    {
        var manifest = ReadManifest(directory);
        var model = new TransformerTts(manifest.Settings, manifest.Architecture);
        model.load(Path.Combine(directory, !latest && HasBest(directory) ? BestWeightsFile : WeightsFile));
        model.to(device);
        return (model, manifest);
    }

    public static bool HasBest(string directory) => File.Exists(Path.Combine(directory, BestWeightsFile));

    /// <summary>Saves <paramref name="model"/>'s weights as the best so far (the manifest written next records its step).</summary>
    public static void SaveBest(string directory, TransformerTts model)
    {
        Directory.CreateDirectory(directory);
        var best = Path.Combine(directory, BestWeightsFile);
        model.save(best + ".tmp");
        File.Move(best + ".tmp", best, overwrite: true);
    }

    /// <summary>Loads the best weights into a model of the same architecture (on its own device).</summary>
    public static void LoadBestInto(string directory, TransformerTts model) => model.load(Path.Combine(directory, BestWeightsFile));
}
