"""Dask arrays on a LocalCluster with two worker processes, against the in-memory results."""

import subprocess
import sys

import numpy as np
import pytest

from influence_demo import (
    LinearRegression,
    LogisticRegression,
    NotAtOptimumWarning,
    add_intercept,
    influence_loss,
    make_logistic_data,
    self_influence,
    top_influences,
)

da = pytest.importorskip("dask.array", reason="the test extra installs dask")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each (dashboard on a free port), for the module."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
    ) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def logistic():
    X, y, X_test, y_test = make_logistic_data(1_000, 4, rng=0, n_test=6)
    X, X_test = add_intercept(X), add_intercept(X_test)
    return LogisticRegression(l2=1.0).fit(X, y), X, y, X_test, y_test


# Uneven chunks, one smaller than k, so that the per-chunk lists have unequal lengths.
CHUNKS = ((7, 300, 93, 250, 350),)


def test_top_influences_equal_in_memory(client, logistic):
    model, X, y, X_test, y_test = logistic
    Xd = da.from_array(X, chunks=(CHUNKS[0], -1))
    with distributed.get_task_stream(client) as ts:
        top = top_influences(model, Xd, y, X_test, y_test, k=10)
    ref = top_influences(model, X, y, X_test, y_test, k=10)
    I = influence_loss(model, X, y, X_test, y_test)
    np.testing.assert_array_equal(top.harmful, ref.harmful)
    np.testing.assert_array_equal(top.helpful, ref.helpful)
    np.testing.assert_array_equal(top.harmful, np.argsort(-I, axis=1, kind="stable")[:, :10])
    np.testing.assert_allclose(top.harmful_values, ref.harmful_values, rtol=1e-12)
    np.testing.assert_allclose(top.helpful_values, ref.helpful_values, rtol=1e-12)
    assert top.n_train == 1_000
    # Every chunk was summed and scored by a task, on both worker processes.
    names = [(str(t["key"]), t["worker"]) for t in ts.data]
    assert len({w for name, w in names if name.startswith("_block_top-")}) == 2
    assert sum(name.startswith("_block_sums-") for name, _ in names) == len(CHUNKS[0])


def test_ties_follow_the_index_rule(client):
    """All-zero rows (no intercept) have influence exactly 0: the smaller index comes first."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 3))
    y = rng.normal(size=120)
    X[rng.choice(120, size=40, replace=False)] = 0.0
    model = LinearRegression(l2=0.5).fit(X, y)
    X_test, y_test = rng.normal(size=(4, 3)), rng.normal(size=4)
    k = 70  # reaches into the zeros in both lists
    top = top_influences(model, da.from_array(X, chunks=25), y, X_test, y_test, k=k)
    ref = top_influences(model, X, y, X_test, y_test, k=k)
    np.testing.assert_array_equal(top.harmful, ref.harmful)
    np.testing.assert_array_equal(top.helpful, ref.helpful)
    zeros = top.harmful_values == 0.0
    assert zeros.sum(axis=1).min() > 10
    for row, z in zip(top.harmful, zeros):  # the zeros in index order
        assert np.all(np.diff(row[z]) > 0)


def test_self_influence_and_influence_loss_are_dask_arrays_equal_in_memory(client, logistic):
    model, X, y, X_test, y_test = logistic
    Xd, yd = da.from_array(X, chunks=(CHUNKS[0], -1)), da.from_array(y, chunks=CHUNKS)
    s = self_influence(model, Xd, yd)
    assert isinstance(s, da.Array) and s.chunks == CHUNKS
    np.testing.assert_allclose(s.compute(), self_influence(model, X, y), rtol=1e-12)
    I = influence_loss(model, Xd, yd, X_test, y_test, damping=0.1)
    assert isinstance(I, da.Array) and I.chunks == ((6,), CHUNKS[0])
    ref = influence_loss(model, X, y, X_test, y_test, damping=0.1)
    np.testing.assert_allclose(I.compute(), ref, rtol=1e-12, atol=1e-15 * np.abs(ref).max())


def test_rows_made_on_the_workers(client, logistic):
    """Rows from da.random exist only on the workers; the answer equals the same rows in memory."""
    X_test, y_test = add_intercept(logistic[3][:, :5]), logistic[4]
    rng = da.random.default_rng(7)
    Xd = da.concatenate([rng.normal(size=(2_000, 5), chunks=(500, 5)), da.ones((2_000, 1))], 1)
    yd = (rng.random(2_000, chunks=500) < 0.5).astype(float)
    X, y = client.compute([Xd, yd], sync=True)  # the same rows, brought here for the reference
    fitted = LogisticRegression(l2=1.0).fit(X, y)
    top = top_influences(fitted, Xd, yd, X_test, y_test, k=5)
    ref = top_influences(fitted, X, y, X_test, y_test, k=5)
    np.testing.assert_array_equal(top.harmful, ref.harmful)
    np.testing.assert_array_equal(top.helpful, ref.helpful)
    # The rows' graph holds no rows (they are drawn on the workers) ...
    graph = dict(Xd.__dask_graph__())
    assert not any(isinstance(v, np.ndarray) and v.size >= 500 for v in graph.values())


def test_only_small_arrays_reach_the_client(client, logistic, monkeypatch):
    """Everything the functions compute on the cluster and bring back is p x p or m x k
    sized, against 20,000 rows of 6 (960 kB)."""
    from dask.sizeof import sizeof

    X_test, y_test = add_intercept(logistic[3][:, :5]), logistic[4]
    rng = da.random.default_rng(8)
    Xd = da.concatenate([rng.normal(size=(20_000, 5), chunks=(2_000, 5)),
                         da.ones((20_000, 1), chunks=(2_000, 1))], 1)
    yd = (rng.random(20_000, chunks=2_000) < 0.5).astype(float)
    X, y = client.compute([Xd, yd], sync=True)
    fitted = LogisticRegression(l2=1.0).fit(X, y)
    received = []
    get = type(client).get

    def recording_get(self, *args, **kwargs):
        result = get(self, *args, **kwargs)
        received.append(sizeof(result))
        return result

    monkeypatch.setattr(type(client), "get", recording_get)
    top = top_influences(fitted, Xd, yd, X_test, y_test, k=5)
    assert len(received) == 2  # the curvature sums, then the merged lists
    assert max(received) < 10_000 < X.nbytes / 50
    np.testing.assert_array_equal(top.harmful, top_influences(fitted, X, y, X_test, y_test, k=5).harmful)


def test_with_theta_checks_optimality_on_the_workers(client, logistic):
    model, X, y, _, _ = logistic
    Xd, yd = da.from_array(X, chunks=250), da.from_array(y, chunks=250)
    rel = model.check_optimality(Xd, yd)
    assert rel == pytest.approx(model.check_optimality(X, y), rel=1e-6, abs=1e-15)
    model.with_theta(model.theta_, Xd, yd)  # at the optimum: no warning (filterwarnings=error)
    with pytest.warns(NotAtOptimumWarning, match=r"not at an optimum") as record:
        model.with_theta(model.theta_ + 1e-3, Xd, yd)
    assert record[0].filename == __file__  # the warning names this line, not the package


def test_misuse_gets_clear_errors(client, logistic):
    model, X, y, X_test, y_test = logistic
    Xd = da.from_array(X, chunks=250)
    with pytest.raises(ValueError, match=r"only method='direct' is offered"):
        top_influences(model, Xd, y, X_test, y_test, method="cg")
    with pytest.raises(ValueError, match=r"k = 2000 exceeds the number of training points, 1000"):
        top_influences(model, Xd, y, X_test, y_test, k=2000)
    with pytest.raises(ValueError, match=r"chunks of unknown size.*compute_chunk_sizes"):
        top_influences(model, Xd[Xd[:, 0] > 0], y, X_test, y_test)
    with pytest.raises(TypeError, match=r"y is a dask array but X is a ndarray"):
        self_influence(model, X, da.from_array(y, chunks=250))
    with pytest.raises(TypeError, match=r"pass X_test.compute\(\)"):
        top_influences(model, Xd, y, da.from_array(X_test), y_test)
    with pytest.raises(ValueError, match=r"X has 4 features, but the model was fitted with 5"):
        self_influence(model, Xd[:, :4], y)
    with pytest.raises(ValueError, match=r"y must be 1-D with one target per row of X \(1000\)"):
        self_influence(model, Xd, y[:10])
    with pytest.raises(TypeError, match=r"takes no options; got \['rtol'\]"):
        self_influence(model, Xd, y, rtol=1e-8)
    class Frame:  # what a dask DataFrame offers (pandas, which dask.dataframe needs, is not installed)
        def to_dask_array(self, lengths=True):
            return Xd

    with pytest.raises(TypeError, match=r"dask DataFrame or Series.*to_dask_array\(lengths=True\)"):
        top_influences(model, Xd, Frame(), X_test, y_test)
    bad = X.copy()
    bad[900, 1] = np.nan  # a NaN in the last chunk is found on a worker, and reported here
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(1 non-finite value\(s\)\)"):
        top_influences(model, da.from_array(bad, chunks=250), y, X_test, y_test)


def test_importing_the_package_does_not_import_dask():
    code = ("import sys; import influence_demo; import influence_demo.distributed; "
            "print(any(m == 'dask' or m.startswith('dask.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_readme_cluster_example_equals_in_memory():
    """The README's three lines run on their own LocalCluster and give the in-memory lists."""
    from test_readme import python_blocks

    namespace = {}
    for block in python_blocks():
        exec(compile(block, "README.md", "exec"), namespace)
    model, X, y = namespace["model"], namespace["X"], namespace["y"]
    ref = top_influences(model, X, y, X[:5], y[:5], k=3)
    on_cluster = namespace["on_cluster"]
    np.testing.assert_array_equal(on_cluster.harmful, ref.harmful)
    np.testing.assert_array_equal(on_cluster.helpful, ref.helpful)
