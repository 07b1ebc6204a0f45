"""The PyTorch range test on a real classifier (scikit-learn's digits): a usable suggestion, and nothing disturbed."""

from __future__ import annotations

import pytest

import lrplan as L

torch = pytest.importorskip("torch")
sklearn_datasets = pytest.importorskip("sklearn.datasets")
from sklearn.model_selection import train_test_split  # noqa: E402

from lrplan.torch import range_test  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    x, y = sklearn_datasets.load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    f = torch.float32
    return torch.tensor(xtr, dtype=f), torch.tensor(ytr), torch.tensor(xte, dtype=f), torch.tensor(yte)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: threads only add contention on a shared machine
    yield
    torch.set_num_threads(threads)


def batches(x, y, seed, size=64):
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return [(x[perm[i : i + size]], y[perm[i : i + size]]) for i in range(0, len(x), size)]


def test_range_test_on_digits_suggests_a_rate_that_trains_and_restores_everything(digits):
    xtr, ytr, xte, yte = digits
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.functional.cross_entropy
    # one real step first, so the optimizer has momentum buffers and the parameters have gradients
    opt.zero_grad()
    loss_fn(model(xtr[:32]), ytr[:32]).backward()
    opt.step()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad.clone() for p in model.parameters()]
    momenta = [opt.state[p]["momentum_buffer"].clone() for p in model.parameters()]
    rng = torch.get_rng_state()
    model.eval()

    result = range_test(model, loss_fn, batches(xtr, ytr, 1), opt, min_value=1e-4, max_value=10.0, steps=100)

    # nothing disturbed: weights, grads, optimizer state and lr, mode, RNG
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, model.parameters()))
    assert all(torch.equal(m, opt.state[p]["momentum_buffer"]) for m, p in zip(momenta, model.parameters()))
    assert opt.param_groups[0]["lr"] == 0.01
    assert not model.training
    assert torch.equal(torch.get_rng_state(), rng)

    assert result.verdict == "ok", result
    assert 1e-3 < result.lr < 1.0
    assert result.diverged_at is not None  # the ramp went far enough to see the loss blow up
    assert len(result.lrs) == len(result.losses) < 100  # stopped early at divergence

    # a short training run with the suggested rate reaches >= 90% test accuracy
    model.train()
    for group in opt.param_groups:
        group["lr"] = result.lr
    for epoch in range(8):
        for xb, yb in batches(xtr, ytr, 100 + epoch):
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    with torch.no_grad():
        accuracy = (model(xte).argmax(1) == yte).float().mean().item()
    assert accuracy >= 0.9, (result.lr, accuracy)


def test_range_test_with_a_factory_and_full_batch(digits):
    xtr, ytr, _, _ = digits
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = range_test(
        model,
        torch.nn.functional.cross_entropy,
        [(xtr[:512], ytr[:512])],
        lambda params: torch.optim.Adam(params),
        min_value=1e-5,
        max_value=10.0,
        steps=60,
    )
    assert result.verdict == "ok" and 1e-4 < result.lr < 1.0, result
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_range_test_bad_input():
    model = torch.nn.Linear(2, 1)
    data = [(torch.zeros(4, 2), torch.zeros(4, 1))]
    mse = torch.nn.functional.mse_loss
    with pytest.raises(L.ConfigError, match=r"`model` must be a torch\.nn\.Module"):
        range_test(lambda x: x, mse, data, lambda p: torch.optim.SGD(p, lr=0.1))
    with pytest.raises(L.ConfigError, match=r"`optimizer_factory` must be a torch\.optim\.Optimizer or a callable"):
        range_test(model, mse, data, "sgd")
    with pytest.raises(L.ConfigError, match=r"must return a torch\.optim\.Optimizer"):
        range_test(model, mse, data, lambda p: None)
    with pytest.raises(L.ConfigError, match="`data` yielded no batches"):
        range_test(model, mse, [], lambda p: torch.optim.SGD(p, lr=0.1))
    with pytest.raises(L.ConfigError, match="`max_value` must be > min_value"):
        range_test(model, mse, data, lambda p: torch.optim.SGD(p, lr=0.1), min_value=1.0, max_value=0.5)
