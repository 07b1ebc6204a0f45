"""Generate docs/images/range_test.png (the LR range test of a small MLP on scikit-learn's digits).

Run from the repository root: ``python docs/build_range_test_image.py``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from lrplan.torch import range_test  # noqa: E402

OUT = Path(__file__).parent / "images" / "range_test.png"


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(1))
    batches = [(x[perm[i : i + 64]], y[perm[i : i + 64]]) for i in range(0, len(x), 64)]
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    result = range_test(
        model, torch.nn.functional.cross_entropy, batches, optimizer, min_value=1e-4, max_value=10, steps=100
    )
    print(result)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    result.plot(path=str(OUT))


if __name__ == "__main__":
    main()
