"""EICS fitted at a params dict: the `train` stage and `pipeline.alpha_beta_grid` both fit through here."""
from __future__ import annotations

from pipeline.stage import StageError


def fit_eics(params: dict, features, log_epoch=None):
    """EICS fitted on `features`' train split at `params`' model, train and fusion values, the
    epoch chosen on its validation split (`model.eics.training.TrainResult`), in the precision
    `fits.precision_train`. The `train` stage and `pipeline.alpha_beta_grid` both fit through here (their
    processes pin `fits.threads` before TensorFlow loads)."""
    from model.eics.training import train_network
    from model.precision import fitting_precision
    from model.training import TrainingDiverged
    from pipeline.settings.eics import eics_options

    options = eics_options(params)
    try:
        with fitting_precision(params["fits"]["precision_train"]):
            return train_network(features.splits["train"], features.splits["val"], features.n_classes,
                                 options["config"], options["network"], options["shared_trunk"], log_epoch)
    except TrainingDiverged as err:
        raise StageError(str(err)) from None
