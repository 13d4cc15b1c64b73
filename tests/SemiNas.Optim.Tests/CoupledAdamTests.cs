using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Optim.Tests;

public class CoupledAdamTests
{
    [Fact]
    public void Gives_the_same_weights_as_torchsharps_adam_bit_for_bit()
    {
        using var scope = torch.NewDisposeScope();
        using var reference = Twin.Model();
        using var ours = Twin.Model();
        using var adam = torch.optim.Adam(reference.parameters(), lr: 1e-2, weight_decay: 1e-4);
        using var coupled = new CoupledAdam([.. ours.parameters()], 1e-2, 1e-4);
        Twin.Train(reference, () => adam.zero_grad(), () => adam.step(), 25);
        Twin.Train(ours, coupled.ZeroGrad, coupled.Step, 25);
        Twin.AssertSameWeights(reference, ours);
    }

    [Fact]
    public void Without_weight_decay_is_adamw_and_follows_a_changing_learning_rate()
    {
        // The first parameter has no gradient in the first rounds (an unused supernet operation): both optimisers
        // skip it, and start its bias correction at its first gradient.
        using var scope = torch.NewDisposeScope();
        using var reference = Twin.Model();
        using var ours = Twin.Model();
        using var adamW = torch.optim.AdamW(reference.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.98, eps: 1e-9, weight_decay: 0);
        using var coupled = new CoupledAdam([.. ours.parameters()], 1e-3, 0, beta1: 0.9, beta2: 0.98, epsilon: 1e-9);
        for (var round = 1; round <= 5; round++)
        {
            foreach (var group in adamW.ParamGroups) group.LearningRate = 1e-3 * round;
            coupled.LearningRate = 1e-3 * round;
            var unused = round <= 2;
            Twin.Train(reference, () => adamW.zero_grad(), () => { if (unused) reference.parameters().First().grad = null; adamW.step(); }, 4);
            Twin.Train(ours, coupled.ZeroGrad, () => { if (unused) ours.parameters().First().grad = null; coupled.Step(); }, 4);
        }
        Twin.AssertSameWeights(reference, ours);
    }

    [Fact]
    public void A_saved_state_resumes_training_exactly_and_a_foreign_state_is_refused_by_file_name()
    {
        using var scope = torch.NewDisposeScope();
        using var straight = Twin.Model();
        using var resumed = Twin.Model();
        using var first = new CoupledAdam([.. straight.parameters()], 1e-2, 1e-4);
        Twin.Train(straight, first.ZeroGrad, first.Step, 6);
        Twin.Train(straight, first.ZeroGrad, first.Step, 4);

        var file = Path.Combine(Path.GetTempPath(), $"adam-{Guid.NewGuid():N}.bin");
        try
        {
            using (var before = new CoupledAdam([.. resumed.parameters()], 1e-2, 1e-4))
            {
                Twin.Train(resumed, before.ZeroGrad, before.Step, 6);
                using var writer = new BinaryWriter(File.Create(file));
                before.Save(writer);
            }
            using (var after = new CoupledAdam([.. resumed.parameters()], 1e-2, 1e-4))
            {
                using (var reader = new BinaryReader(File.OpenRead(file))) after.Load(reader);
                Twin.Train(resumed, after.ZeroGrad, after.Step, 4);
            }
            Twin.AssertSameWeights(straight, resumed);

            using (var sgd = new MomentumSgd(Twin.Model().parameters(), 0.1, 0.9, nesterov: true))
            using (var writer = new BinaryWriter(File.Create(file)))
                sgd.Save(writer);
            using var foreign = new BinaryReader(File.OpenRead(file));
            var error = Assert.Throws<InvalidDataException>(() => first.Load(foreign));
            Assert.Contains(file, error.Message);
            Assert.Contains("CoupledAdam", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
    [Fact]
    public void On_flattened_parameters_gives_the_same_weights_and_leaves_the_model_usable()
    {
        using var scope = torch.NewDisposeScope();
        using var reference = Twin.Model();
        using var ours = Twin.Model();
        using var adam = torch.optim.Adam(reference.parameters(), lr: 1e-2, weight_decay: 1e-4);
        var parameters = ours.parameters().ToArray();
        using (var flat = new FlatParameters(parameters))
        using (var coupled = new CoupledAdam([flat.Parameter], 1e-2, 1e-4))
        {
            Assert.Equal(parameters.Sum(p => p.numel()), flat.Parameter.numel());
            void Step()
            {
                nn.utils.clip_grad_norm_(parameters, 0.5);
                coupled.Step();
            }
            Twin.Train(reference, () => adam.zero_grad(), () => { nn.utils.clip_grad_norm_(reference.parameters(), 0.5); adam.step(); }, 25);
            Twin.Train(ours, coupled.ZeroGrad, Step, 25);
        }
        Twin.AssertSameWeights(reference, ours);
        // The optimiser and its buffer are gone; the model's parameters still train with another optimiser.
        using var again = torch.optim.Adam(reference.parameters(), lr: 1e-2, weight_decay: 1e-4);
        using var another = new CoupledAdam([.. ours.parameters()], 1e-2, 1e-4);
        Twin.Train(reference, () => again.zero_grad(), () => again.step(), 5);
        Twin.Train(ours, another.ZeroGrad, another.Step, 5);
        Twin.AssertSameWeights(reference, ours);
    }
}
