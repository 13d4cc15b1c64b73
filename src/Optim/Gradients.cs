using TorchSharp.Modules;

namespace SemiNas.Optim;

internal static class Gradients
{
    /// <summary>Zeroes the gradients in place, as TorchSharp's <c>zero_grad</c> does (not set to none).</summary>
    public static void Zero(IEnumerable<Parameter> parameters)
    {
        foreach (var parameter in parameters)
        {
            using var grad = parameter.grad;
            grad?.zero_();
        }
    }
}
