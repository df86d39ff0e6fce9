"""The data contract: seven tables, typed empties, Dataset helpers."""
import pandas as pd

from insight import contract


def test_seven_tables_in_parent_first_order():
    assert list(contract.TABLES) == [
        "customers", "products", "orders", "returns", "complaints", "reviews", "surveys"]


def test_required_columns_of_orders():
    assert contract.required("orders") == [
        "order_id", "customer_id", "order_date", "product_id", "quantity", "unit_price"]


def test_empty_frame_has_contract_dtypes():
    df = contract.empty("reviews")
    assert df["created_at"].dtype == "datetime64[ns]"
    assert df["rating"].dtype == "float64"
    assert len(df) == 0


def test_dataset_present_and_missing():
    ds = contract.Dataset(orders=contract.empty("orders"), surveys=contract.empty("surveys"))
    assert ds.present() == ["orders", "surveys"]
    assert "reviews" in ds.missing()
    assert ds.counts() == {"orders": 0, "surveys": 0}
