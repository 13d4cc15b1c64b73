using TorchSharp;
using static TorchSharp.torch;

namespace SemiNas.Optim.Tests;

public class MomentumSgdTests
{
    [Theory]
    [InlineData(0.9, true)]
    [InlineData(0.9, false)]
    [InlineData(0.0, false)]
    public void Gives_the_same_weights_as_torchsharps_sgd_bit_for_bit(double momentum, bool nesterov)
    {
        using var scope = torch.NewDisposeScope();
        using var reference = Twin.Model();
        using var ours = Twin.Model();
        using var sgd = torch.optim.SGD(reference.parameters(), 0.05, momentum: momentum, nesterov: nesterov);
        using var held = new MomentumSgd(ours.parameters(), 0.05, momentum, nesterov);
        for (var round = 1; round <= 3; round++)
        {
            foreach (var group in sgd.ParamGroups) group.LearningRate = 0.05 / round;
            held.LearningRate = 0.05 / round;
            Twin.Train(reference, () => sgd.zero_grad(), () => sgd.step(), 8);
            Twin.Train(ours, held.ZeroGrad, held.Step, 8);
        }
        Twin.AssertSameWeights(reference, ours);
    }

    [Fact]
    public void A_parameter_without_a_gradient_keeps_its_value_and_its_momentum()
    {
        using var scope = torch.NewDisposeScope();
        using var model = Twin.Model();
        var parameters = model.parameters().ToArray();
        using var held = new MomentumSgd(parameters, 0.1, 0.9, nesterov: true);
        Twin.Train(model, held.ZeroGrad, held.Step, 3);
        var frozen = parameters[0].detach().clone();
        parameters[0].grad = null;
        held.Step();
        Assert.True(parameters[0].eq(frozen).all().item<bool>());
    }

    [Fact]
    public void A_saved_state_resumes_training_exactly()
    {
        using var scope = torch.NewDisposeScope();
        using var straight = Twin.Model();
        using var resumed = Twin.Model();
        using var first = new MomentumSgd(straight.parameters(), 0.05, 0.9, nesterov: true);
        Twin.Train(straight, first.ZeroGrad, first.Step, 6);
        Twin.Train(straight, first.ZeroGrad, first.Step, 4);

        using var stream = new MemoryStream();
        using (var before = new MomentumSgd(resumed.parameters(), 0.05, 0.9, nesterov: true))
        {
            Twin.Train(resumed, before.ZeroGrad, before.Step, 6);
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            before.Save(writer);
        }
        stream.Position = 0;
        using var after = new MomentumSgd(resumed.parameters(), 0.05, 0.9, nesterov: true);
        using (var reader = new BinaryReader(stream)) after.Load(reader);
        Twin.Train(resumed, after.ZeroGrad, after.Step, 4);
        Twin.AssertSameWeights(straight, resumed);
    }
}
