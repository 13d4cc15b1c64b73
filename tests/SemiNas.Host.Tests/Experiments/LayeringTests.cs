using System.Reflection;
using SemiNas.Benchmarks;
using SemiNas.Engine;

namespace SemiNas.Host.Tests.Experiments;

public class LayeringTests
{
    [Fact]
    public void The_search_loop_benchmark_runs_stores_and_the_strategy_core_need_no_TorchSharp()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>([typeof(ExperimentRunner).Assembly.GetName(), typeof(BenchmarkRun).Assembly.GetName()]);
        while (pending.TryPop(out var name))
        {
            if (!seen.Add(name.Name!) || !name.Name!.StartsWith("SemiNas.", StringComparison.Ordinal)) continue;
            foreach (var reference in Assembly.Load(name).GetReferencedAssemblies()) pending.Push(reference);
        }
        Assert.Contains("SemiNas.Core", seen);
        Assert.Contains("SemiNas.Storage", seen);
        Assert.Contains("SemiNas.Engine", seen);
        Assert.DoesNotContain(seen, n => n.StartsWith("TorchSharp", StringComparison.Ordinal) || n == "SemiNas.Controller");
    }
}
