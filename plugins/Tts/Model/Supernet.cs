using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Tts.Model;

/// <summary>
/// The weight-sharing supernet of a search (SemiNAS model_ws.py): every layer holds all 11 operations, and each
/// training step runs one architecture drawn from the pool of candidates. Kept in a folder beside the trials
/// (weights, optimizer, pool, steps) so that a resumed search continues it.
/// </summary>
internal sealed class Supernet : IDisposable
{
    private const string WeightsFile = "supernet.bin";
    private const string OptimizerFile = "optimizer.bin";
    private const string PoolFile = "pool.txt";
    private const string StepsFile = "steps.txt";

    private readonly List<int[]> _pool = [];
    private readonly HashSet<string> _keys = [];
    private readonly string _folder;

    private Supernet(string folder, TransformerTts model, TtsTrainer trainer)
    {
        _folder = folder;
        Model = model;
        Trainer = trainer;
    }

    public TransformerTts Model { get; }

    public TtsTrainer Trainer { get; }

    public IReadOnlyList<int[]> Pool => _pool;

    public static Supernet OpenOrCreate(string folder, TtsModelSettings settings, TrainingSettings training, Device device, int seed)
    {
        manual_seed(seed);
        var model = new TransformerTts(settings, architecture: null);
        var weights = Path.Combine(folder, WeightsFile);
        var resumed = File.Exists(weights) && File.Exists(Path.Combine(folder, StepsFile));
        if (resumed) model.load(weights);
        model.to(device);
        var trainer = new TtsTrainer(model, training, device);
        var supernet = new Supernet(folder, model, trainer);
        if (resumed)
        {
            if (File.Exists(Path.Combine(folder, OptimizerFile))) trainer.Load(Path.Combine(folder, OptimizerFile));
            trainer.StepsDone = int.Parse(File.ReadAllText(Path.Combine(folder, StepsFile)).Trim(), CultureInfo.InvariantCulture);
            foreach (var line in File.ReadLines(Path.Combine(folder, PoolFile)).Where(l => l.Trim().Length > 0))
                supernet.AddToPool(line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray());
        }
        return supernet;
    }

    public void AddToPool(int[] architecture)
    {
        if (_keys.Add(string.Join(' ', architecture))) _pool.Add(architecture);
    }

    public void Save()
    {
        Directory.CreateDirectory(_folder);
        Model.save(Path.Combine(_folder, WeightsFile + ".tmp"));
        Trainer.Save(Path.Combine(_folder, OptimizerFile + ".tmp"));
        File.WriteAllLines(Path.Combine(_folder, PoolFile + ".tmp"), _pool.Select(a => string.Join(' ', a)));
        File.Move(Path.Combine(_folder, WeightsFile + ".tmp"), Path.Combine(_folder, WeightsFile), overwrite: true);
        File.Move(Path.Combine(_folder, OptimizerFile + ".tmp"), Path.Combine(_folder, OptimizerFile), overwrite: true);
        File.Move(Path.Combine(_folder, PoolFile + ".tmp"), Path.Combine(_folder, PoolFile), overwrite: true);
        File.WriteAllText(Path.Combine(_folder, StepsFile), Trainer.StepsDone.ToString(CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        Trainer.Dispose();
        Model.Dispose();
    }
}
