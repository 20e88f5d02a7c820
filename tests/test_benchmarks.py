"""The benchmark scripts run: a tiny size of each case, so that a script broken by a
change of the package fails here rather than when someone measures with it. (They
check their sides' gradients against each other before timing, so this also checks
the hand-written sides, such as the autodiff benchmark's tape floor.)"""

import importlib.util
import pathlib

import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("shape", [["2", "32", "10"], ["3", "5", "4"]])
def test_autodiff_benchmark_runs_every_case(shape, capsys):
    _load("autodiff").main(["--rounds", "1", "--sizes", "40", "--decoder-shape", *shape])
    table = capsys.readouterr().out
    for case in ("nodes", "logistic", "gmm", "decoder"):
        assert case in table
    assert "tape floor" in table and "exact floor" in table


def test_em_benchmark_runs_a_small_case(capsys):
    _load("em").main(["--repeats", "1", "--case", "300,2,3,full", "--case", "300,3,2,spherical"])
    table = capsys.readouterr().out
    assert "full" in table and "spherical" in table


def test_every_mutant_finds_its_text_once():
    # a formula rewritten since its mutant was written leaves the mutant unable to apply
    mutation = _load("mutation")
    mutants = [m for value in vars(mutation).values() if isinstance(value, list)
               for m in value if isinstance(m, mutation.Mutant)]
    assert len(mutants) > 50
    for mutant in mutants:
        text = (BENCHMARKS.parent / mutant.path).read_text(encoding="utf-8")
        assert text.count(mutant.old) == 1, mutant.description
        assert mutant.new != mutant.old, mutant.description
        # a renamed test file makes pytest exit with a usage error, which the script counts as a kill
        for test in mutation.BASE_TESTS + tuple(mutant.tests):
            assert (BENCHMARKS.parent / test).is_file(), (mutant.description, test)


def test_cavi_benchmark_runs_the_quick_cases(capsys):
    _load("cavi").main(["--quick", "--repeats", "1", "--iterations", "2"])
    table = capsys.readouterr().out
    assert "dirichlet_process" in table and "dirichlet_distribution" in table


def test_estimators_benchmark_runs(capsys):
    _load("estimators").main(["--quick", "--repeats", "1"])
    table = capsys.readouterr().out
    for part in ("sticking the landing", "dimension D=100", "leading term", "IWAE bound"):
        assert part in table


def test_vi_gradient_variance_benchmark_runs(capsys):
    _load("vi_gradient_variance").main(["--seeds", "1", "--steps", "300"])
    table = capsys.readouterr().out
    for estimator in ("score_function", "reparameterization", "path_derivative"):
        assert estimator in table
