//! `DataTable`: the app's tables. A header row from [`Column`]s (a title, a title only screen
//! readers get, or a sort button), one row per item with the cells the columns render, and an
//! optional empty state instead of an empty table. A [`Row`] can carry a link: a click
//! anywhere on the row outside its own controls opens it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::paths;

/// What a column's header cell shows.
enum Head {
    /// A visible title.
    Title(&'static str),
    /// A title only screen readers get (the actions column).
    Hidden(&'static str),
    /// A button that sorts by the field (Directus `sort=field` / `sort=-field`).
    Sort {
        field: String,
        sort: Signal<Option<String>>,
        on_sort: Callback<String>,
    },
}

/// Text made from a row (a cell's tooltip).
type RowText<R> = Box<dyn Fn(&R) -> String>;

/// One column: its header and how a row's cell looks.
pub struct Column<R> {
    head: Head,
    class: Option<&'static str>,
    testid: Option<&'static str>,
    tooltip: Option<RowText<R>>,
    cell: Box<dyn Fn(&R) -> AnyView>,
}

impl<R> Column<R> {
    fn with_head<V: IntoView + 'static>(head: Head, cell: impl Fn(&R) -> V + 'static) -> Self {
        Self {
            head,
            class: None,
            testid: None,
            tooltip: None,
            cell: Box::new(move |r| cell(r).into_any()),
        }
    }

    /// A column titled `title`.
    pub fn new<V: IntoView + 'static>(
        title: &'static str,
        cell: impl Fn(&R) -> V + 'static,
    ) -> Self {
        Self::with_head(Head::Title(title), cell)
    }

    /// A column titled `title` for screen readers only.
    pub fn hidden<V: IntoView + 'static>(
        title: &'static str,
        cell: impl Fn(&R) -> V + 'static,
    ) -> Self {
        Self::with_head(Head::Hidden(title), cell)
    }

    /// The row's actions (buttons, menus), right-aligned: titled "Actions" for screen readers
    /// only.
    pub fn actions<V: IntoView + 'static>(cell: impl Fn(&R) -> V + 'static) -> Self {
        Self::hidden("Actions", cell).class("table__actions")
    }

    /// A column whose header sorts by `field`; `sort` is the current Directus sort value.
    pub fn sortable<V: IntoView + 'static>(
        field: String,
        sort: impl Into<Signal<Option<String>>>,
        on_sort: Callback<String>,
        cell: impl Fn(&R) -> V + 'static,
    ) -> Self {
        let head = Head::Sort {
            field,
            sort: sort.into(),
            on_sort,
        };
        Self::with_head(head, cell)
    }

    /// The class of every cell in the column.
    pub fn class(mut self, class: &'static str) -> Self {
        self.class = Some(class);
        self
    }

    /// The `data-testid` of every cell in the column.
    pub fn testid(mut self, testid: &'static str) -> Self {
        self.testid = Some(testid);
        self
    }

    /// A tooltip (`title`) per cell.
    pub fn tooltip(mut self, text: impl Fn(&R) -> String + 'static) -> Self {
        self.tooltip = Some(Box::new(text));
        self
    }
}

/// The attributes of one body row.
#[derive(Default)]
pub struct Row {
    testid: Option<String>,
    id: Option<String>,
    status: Option<String>,
    href: Option<String>,
    selected: Option<Signal<bool>>,
}

impl Row {
    /// A row with this `data-testid`.
    pub fn testid(testid: impl Into<String>) -> Self {
        Self {
            testid: Some(testid.into()),
            ..Self::default()
        }
    }

    /// Clicking the row outside its controls opens `href` (an app path from `paths::href`).
    pub fn link(mut self, href: String) -> Self {
        self.href = Some(href);
        self
    }

    /// `data-id`.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// `data-status`.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Marked as the selected row while `selected` is true.
    pub fn selected(mut self, selected: Signal<bool>) -> Self {
        self.selected = Some(selected);
        self
    }
}

/// How each item's row attributes are made (a closure `|item: &R| Row::…`).
pub struct RowFn<R>(Box<dyn Fn(&R) -> Row>);

impl<R, F: Fn(&R) -> Row + 'static> From<F> for RowFn<R> {
    fn from(f: F) -> Self {
        Self(Box::new(f))
    }
}

/// What is shown instead of a table without rows (a closure returning a view).
pub struct EmptyFn(Box<dyn FnOnce() -> AnyView>);

impl<F: FnOnce() -> V + 'static, V: IntoView + 'static> From<F> for EmptyFn {
    fn from(f: F) -> Self {
        Self(Box::new(move || f().into_any()))
    }
}

/// Which way a column is sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortDir {
    /// `sort=field`.
    Ascending,
    /// `sort=-field`.
    Descending,
}

/// How the Directus sort value `sort` orders `field`, if it does.
pub fn sort_dir(sort: Option<&str>, field: &str) -> Option<SortDir> {
    let s = sort?;
    if s == field {
        Some(SortDir::Ascending)
    } else if s.strip_prefix('-') == Some(field) {
        Some(SortDir::Descending)
    } else {
        None
    }
}

/// The sort after a click on `field`'s header: ascending, then descending, then unsorted.
pub fn next_sort(sort: Option<&str>, field: &str) -> Option<String> {
    match sort_dir(sort, field) {
        None => Some(field.to_owned()),
        Some(SortDir::Ascending) => Some(format!("-{field}")),
        Some(SortDir::Descending) => None,
    }
}

/// The header's arrow after the title.
pub fn sort_arrow(dir: Option<SortDir>) -> &'static str {
    match dir {
        Some(SortDir::Ascending) => " ↑",
        Some(SortDir::Descending) => " ↓",
        None => "",
    }
}

/// The header's `aria-sort`.
pub fn aria_sort(dir: Option<SortDir>) -> &'static str {
    match dir {
        Some(SortDir::Ascending) => "ascending",
        Some(SortDir::Descending) => "descending",
        None => "none",
    }
}

/// Clicks inside these do their own thing instead of opening the row's link.
const ROW_CONTROLS: &str = "button, a, input, select, summary, details";

fn inside_control(ev: &web_sys::MouseEvent) -> bool {
    ev.target()
        .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        .and_then(|e| e.closest(ROW_CONTROLS).ok().flatten())
        .is_some()
}

fn head_cell<R>(column: &Column<R>) -> AnyView {
    match &column.head {
        Head::Title(title) => view! { <th scope="col">{*title}</th> }.into_any(),
        Head::Hidden(title) => {
            view! { <th scope="col"><span class="visually-hidden">{*title}</span></th> }.into_any()
        }
        Head::Sort {
            field,
            sort,
            on_sort,
        } => {
            let (sort, on_sort) = (*sort, *on_sort);
            let (f1, f2, f3) = (field.clone(), field.clone(), field.clone());
            let dir = move |f: &str| sort.with(|s| sort_dir(s.as_deref(), f));
            view! {
                <th scope="col" aria-sort=move || aria_sort(dir(&f1))>
                    <button class="table__sort" type="button" data-testid=format!("sort-{field}") on:click=move |_| on_sort.run(f2.clone())>
                        {field.clone()}
                        {move || sort_arrow(dir(&f3))}
                    </button>
                </th>
            }
            .into_any()
        }
    }
}

/// A table of `rows`, one cell per column; `empty` replaces it when there are no rows.
#[component]
pub fn DataTable<R: 'static>(
    /// The columns, left to right.
    columns: Vec<Column<R>>,
    /// The items, one row each.
    rows: Vec<R>,
    /// Each row's attributes (test id, link, selection).
    #[prop(optional, into)]
    row: Option<RowFn<R>>,
    /// The table's `data-testid`.
    #[prop(optional)]
    testid: Option<&'static str>,
    /// A class beside `table` (e.g. `perm-grid`).
    #[prop(optional)]
    class: Option<&'static str>,
    /// Wraps the table in a horizontally scrolling box (wide data).
    #[prop(optional)]
    scroll: bool,
    /// Shown instead of the table when there are no rows.
    #[prop(optional, into)]
    empty: Option<EmptyFn>,
) -> impl IntoView {
    if rows.is_empty()
        && let Some(EmptyFn(empty)) = empty
    {
        return empty();
    }
    let navigate = use_navigate();
    let body = rows
        .iter()
        .map(|item| {
            let Row {
                testid,
                id,
                status,
                href,
                selected,
            } = row.as_ref().map(|f| (f.0)(item)).unwrap_or_default();
            let cells = columns
                .iter()
                .map(|c| {
                    let title = c.tooltip.as_ref().map(|t| t(item));
                    view! { <td class=c.class data-testid=c.testid title=title>{(c.cell)(item)}</td> }
                })
                .collect_view();
            let link_class = href.is_some().then_some("table__row--link");
            let nav = navigate.clone();
            let open = move |ev: web_sys::MouseEvent| {
                if let Some(h) = &href
                    && !inside_control(&ev)
                {
                    nav(h, paths::absolute(false));
                }
            };
            view! {
                <tr class=link_class class:table__row--selected=move || selected.is_some_and(|s| s.get()) data-testid=testid data-id=id data-status=status on:click=open>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let class = match class {
        Some(c) => format!("table {c}"),
        None => "table".to_owned(),
    };
    let table = view! {
        <table class=class data-testid=testid>
            <thead>
                <tr>{columns.iter().map(head_cell).collect_view()}</tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
    };
    if scroll {
        view! { <div class="table-scroll">{table}</div> }.into_any()
    } else {
        table.into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_click_cycles_ascending_descending_unsorted() {
        assert_eq!(next_sort(None, "total").as_deref(), Some("total"));
        assert_eq!(next_sort(Some("total"), "total").as_deref(), Some("-total"));
        assert_eq!(next_sort(Some("-total"), "total"), None);
    }

    #[test]
    fn sorting_by_another_field_starts_ascending() {
        assert_eq!(
            next_sort(Some("-status"), "total").as_deref(),
            Some("total")
        );
        assert_eq!(sort_dir(Some("-status"), "total"), None);
    }

    #[test]
    fn a_field_named_like_a_prefix_is_not_sorted() {
        // "-total" orders "total", not "-total" nor "tota".
        assert_eq!(sort_dir(Some("-total"), "tota"), None);
        assert_eq!(sort_dir(Some("total"), "-total"), None);
    }

    #[test]
    fn arrow_and_aria_follow_the_direction() {
        let asc = sort_dir(Some("id"), "id");
        let desc = sort_dir(Some("-id"), "id");
        assert_eq!((sort_arrow(asc), aria_sort(asc)), (" ↑", "ascending"));
        assert_eq!((sort_arrow(desc), aria_sort(desc)), (" ↓", "descending"));
        assert_eq!((sort_arrow(None), aria_sort(None)), ("", "none"));
    }
}
