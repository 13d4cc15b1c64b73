using SemiNas.Controller.Predictors;
using SemiNas.Core;

namespace SemiNas.Controller.Tests;

public class RankCorrelationTests
{
    [Fact]
    public void Hand_computed_values()
    {
        // Pairs (1,2) and (1,3) agree, (2,3) disagree: τ = (2 − 1) / 3; ranks differ by 0, 1, 1: ρ = 1 − 6·2/24.
        Assert.Equal(1.0 / 3, RankCorrelation.KendallTau([1, 2, 3], [1, 3, 2]), 12);
        Assert.Equal(0.5, RankCorrelation.Spearman([1, 2, 3], [1, 3, 2]), 12);
        Assert.Equal(-1, RankCorrelation.KendallTau([1, 2, 3, 4], [8, 6, 4, 2]), 12);
        Assert.Equal(1, RankCorrelation.Spearman([1, 2, 3, 4], [1, 10, 100, 1000]), 12);
    }

    [Fact]
    public void Kendall_tau_b_with_ties_equals_the_pairwise_definition()
    {
        var random = new Random(3);
        for (var trial = 0; trial < 20; trial++)
        {
            var n = random.Next(2, 300);
            // Few distinct values, so that both variables have many ties.
            var x = Enumerable.Range(0, n).Select(_ => (double)random.Next(8)).ToArray();
            var y = x.Select(v => v + random.Next(-3, 4)).ToArray();
            Assert.Equal(BruteForceTauB(x, y), RankCorrelation.KendallTau(x, y), 10);
        }
    }

    private static double BruteForceTauB(double[] x, double[] y)
    {
        long concordant = 0, discordant = 0, tiedXOnly = 0, tiedYOnly = 0;
        for (var i = 0; i < x.Length; i++)
            for (var j = i + 1; j < x.Length; j++)
            {
                var dx = Math.Sign(x[i] - x[j]);
                var dy = Math.Sign(y[i] - y[j]);
                if (dx == 0 && dy == 0) continue;
                if (dx == 0) tiedXOnly++;
                else if (dy == 0) tiedYOnly++;
                else if (dx == dy) concordant++;
                else discordant++;
            }
        return (concordant - discordant) / Math.Sqrt((double)(concordant + discordant + tiedXOnly) * (concordant + discordant + tiedYOnly));
    }
}
