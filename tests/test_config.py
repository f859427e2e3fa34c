import pytest

from stagebourse.config import ConfigError, from_environment, normalise_database_url


def test_development_generates_a_secret_key_once_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("STAGEBOURSE_ENV", raising=False)
    first = from_environment(str(tmp_path))["SECRET_KEY"]
    second = from_environment(str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("key", [None, "dev", "changeme", "short-but-not-weak"])
def test_production_refuses_a_missing_or_weak_secret_key(tmp_path, monkeypatch, key):
    monkeypatch.setenv("STAGEBOURSE_ENV", "production")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        from_environment(str(tmp_path))


@pytest.mark.parametrize("url", [None, "", "http://stages.example.fr", "https://", "stages.fr"])
def test_production_refuses_a_missing_or_plain_public_url(tmp_path, monkeypatch, url):
    """Every link of every e-mail and printed slip is built on PUBLIC_URL: a default of
    127.0.0.1 or plain http would send families nowhere, or in clear."""
    monkeypatch.setenv("STAGEBOURSE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    if url is None:
        monkeypatch.delenv("PUBLIC_URL", raising=False)
    else:
        monkeypatch.setenv("PUBLIC_URL", url)
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        from_environment(str(tmp_path))


def test_production_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("STAGEBOURSE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("PUBLIC_URL", "https://stages.example.fr")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/stagebourse")
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/stagebourse"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["PUBLIC_URL"] == "https://stages.example.fr"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("STAGEBOURSE_ENV", raising=False)
    uri = from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
    assert uri == f"sqlite:///{tmp_path}/stagebourse.sqlite3"


def test_normalise_database_url_leaves_other_schemes_alone():
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
