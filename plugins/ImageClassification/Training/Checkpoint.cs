using System.Text.Json;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Training;

/// <summary>
/// Model and optimiser state in a folder, written so that a kill at any moment leaves a loadable checkpoint: each save
/// goes to its own sub-folder, then <c>latest.json</c> is replaced atomically to point at it, then older ones are
/// deleted. <c>latest.json</c> also carries the caller's state (step, pool, ...) and a fingerprint of the settings,
/// so that a folder left by another configuration is never resumed.
/// </summary>
internal static class Checkpoint
{
    private const string LatestFile = "latest.json";

    public static void Save<TState>(string folder, string fingerprint, TState state, long step, nn.Module model, SgdTrainer? trainer)
    {
        Directory.CreateDirectory(folder);
        var name = $"step-{step:D9}";
        var target = Path.Combine(folder, name);
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.CreateDirectory(target);
        model.save(Path.Combine(target, "model.bin"));
        trainer?.SaveOptimizer(Path.Combine(target, "optimizer.bin"));

        var temp = Path.Combine(folder, LatestFile + ".tmp");
        File.WriteAllText(temp, JsonSerializer.Serialize(new Latest<TState>(fingerprint, name, state)));
        File.Move(temp, Path.Combine(folder, LatestFile), overwrite: true);

        foreach (var old in Directory.GetDirectories(folder, "step-*").Where(d => Path.GetFileName(d) != name))
            Directory.Delete(old, recursive: true);
    }

    /// <summary>Writes only the caller's state next to the current weights (e.g. a candidate joined the pool).</summary>
    public static void SaveState<TState>(string folder, string fingerprint, TState state)
    {
        var latest = Read<TState>(folder, fingerprint);
        if (latest is null) return;
        var temp = Path.Combine(folder, LatestFile + ".tmp");
        File.WriteAllText(temp, JsonSerializer.Serialize(latest with { State = state }));
        File.Move(temp, Path.Combine(folder, LatestFile), overwrite: true);
    }

    /// <summary>Loads the latest checkpoint into the model (and optimiser); null when there is none for these settings.</summary>
    public static TState? Load<TState>(string folder, string fingerprint, nn.Module model, SgdTrainer? trainer) where TState : class
    {
        var latest = Read<TState>(folder, fingerprint);
        if (latest is null) return null;
        var target = Path.Combine(folder, latest.Folder);
        model.load(Path.Combine(target, "model.bin"));
        if (trainer is not null) trainer.LoadOptimizer(Path.Combine(target, "optimizer.bin"));
        return latest.State;
    }

    private static Latest<TState>? Read<TState>(string folder, string fingerprint)
    {
        var file = Path.Combine(folder, LatestFile);
        if (!File.Exists(file)) return null;
        Latest<TState>? latest;
        try
        {
            latest = JsonSerializer.Deserialize<Latest<TState>>(File.ReadAllText(file));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: unreadable checkpoint record ({e.Message}); delete the folder to start over.", e);
        }
        return latest is not null && latest.Fingerprint == fingerprint ? latest : null;
    }

    private sealed record Latest<TState>(string Fingerprint, string Folder, TState State);
}
