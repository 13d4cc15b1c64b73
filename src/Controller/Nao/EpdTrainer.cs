using SemiNas.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SemiNas.Core;

namespace SemiNas.Controller.Nao;

/// <summary>Sample-weighted means over one epoch of the loss and of its two terms.</summary>
public readonly record struct EpdEpochLoss(double Loss, double Mse, double Nll);

/// <summary>
/// Trains an <see cref="EpdModel"/> as the official <c>train_controller</c> does (seminas-method.md §2.3):
/// loss = λ·MSE(prediction, target) + (1−λ)·NLL(reconstruction), shuffled batches, Adam with coupled L2,
/// global gradient clipping. Each <see cref="Train(Tensor, Tensor, int, Random)"/> call is one training phase with
/// a fresh optimizer; the model's weights carry over between calls.
/// </summary>
public sealed class EpdTrainer(EpdModel model, EpdTrainingSettings? settings = null)
{
    private readonly EpdTrainingSettings _settings = Validated(settings ?? new EpdTrainingSettings());

    /// <summary>
    /// <paramref name="epochs"/> passes over tokens int64 [N, L] with targets float32 [N]; each pass is shuffled
    /// with <paramref name="shuffle"/> (the only randomness besides the model's dropout). Cancellation is checked
    /// before every epoch.
    /// </summary>
    public IReadOnlyList<EpdEpochLoss> Train(Tensor sequences, Tensor targets, int epochs, Random shuffle, CancellationToken cancellationToken = default)
    {
        EpdTokens.CheckShape(sequences, model.Settings);
        if (targets.dtype != ScalarType.Float32 || targets.dim() != 1 || targets.shape[0] != sequences.shape[0])
            throw new ArgumentException($"Expected float32 targets [{sequences.shape[0]}], got {targets.dtype} [{string.Join(", ", targets.shape)}].");
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);

        var parameters = model.parameters().ToArray();
        using var flat = new FlatParameters(parameters);
        using var optimizer = new CoupledAdam([flat.Parameter], _settings.LearningRate, _settings.WeightDecay);
        using var decoderInputs = EpdTokens.TeacherForcingInputs(sequences);
        var losses = new List<EpdEpochLoss>(epochs);
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            losses.Add(RunEpoch(sequences, decoderInputs, targets, optimizer, parameters, shuffle));
        }
        return losses;
    }

    public IReadOnlyList<EpdEpochLoss> Train(IReadOnlyList<IReadOnlyList<int>> sequences, IReadOnlyList<float> targets, int epochs, Random shuffle,
        CancellationToken cancellationToken = default)
    {
        if (targets.Count != sequences.Count)
            throw new ArgumentException($"{sequences.Count} sequences but {targets.Count} targets.");
        using var tokens = EpdTokens.ToTensor(sequences, model.Settings);
        using var values = torch.tensor(targets.ToArray(), ScalarType.Float32);
        return Train(tokens, values, epochs, shuffle, cancellationToken);
    }

    private EpdEpochLoss RunEpoch(Tensor sequences, Tensor decoderInputs, Tensor targets, CoupledAdam optimizer,
        Parameter[] parameters, Random shuffle)
    {
        model.train();
        var n = sequences.shape[0];
        // Held, not converted on each call: see CoupledAdam for why temporary scalars are unsafe.
        using var lambda = model.Settings.Lambda.ToScalar();
        using var oneMinusLambda = (1 - model.Settings.Lambda).ToScalar();
        using var one = 1.0.ToScalar(); // add(tensor) alone would convert a temporary 1
        var vocabulary = model.Settings.VocabularySize;
        double lossSum = 0, mseSum = 0, nllSum = 0;

        // One gather per epoch, then every batch is a cheap contiguous slice.
        using var epochScope = torch.NewDisposeScope();
        var order = torch.tensor(Permutation(n, shuffle), ScalarType.Int64);
        var x = sequences.index_select(0, order);
        var decoderX = decoderInputs.index_select(0, order);
        var y = targets.index_select(0, order);

        for (long start = 0; start < n; start += _settings.BatchSize)
        {
            using var stepScope = torch.NewDisposeScope();
            var size = Math.Min(_settings.BatchSize, n - start);
            var tokens = x.narrow(0, start, size);
            optimizer.ZeroGrad();
            var (prediction, logits) = model.Forward(tokens, decoderX.narrow(0, start, size));
            var mse = nn.functional.mse_loss(prediction, y.narrow(0, start, size));
            // cross_entropy = NLL of log_softmax, averaged over all B·L positions (start/pad tokens included).
            var nll = nn.functional.cross_entropy(logits.reshape(-1, vocabulary), tokens.reshape(-1));
            var loss = mse.mul(lambda).add(nll.mul(oneMinusLambda), one);
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, _settings.GradientClip);
            optimizer.Step();

            lossSum += loss.item<float>() * size;
            mseSum += mse.item<float>() * size;
            nllSum += nll.item<float>() * size;
        }
        return n == 0 ? default : new EpdEpochLoss(lossSum / n, mseSum / n, nllSum / n);
    }

    // Fisher–Yates over indices (not tensor data), driven by the caller's generator so a search can replay it.
    private static long[] Permutation(long n, Random random)
    {
        var order = new long[n];
        for (long i = 0; i < n; i++) order[i] = i;
        for (var i = n - 1; i > 0; i--)
        {
            var j = random.NextInt64(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static EpdTrainingSettings Validated(EpdTrainingSettings settings)
    {
        settings.Validate();
        return settings;
    }
}
